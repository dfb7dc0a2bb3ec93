"""A segment trigger end to end, with real processes: the segment and its trigger made through
gunicorn, an event ingested there and scored by a real Celery worker puts a lead in the
segment, and within 2 s of the ingest the worker has sent the signed webhook to a receiver on
127.0.0.1, the live stream has shown `segment_entered`, and the segment's count went up."""

import time

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from leadvibe.embedded import free_port
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from tests.api_clients import credential_authorization, token_for
from tests.e2e.processes import start_web, start_worker, stop_process, wait_until
from tests.factories import make_credential, make_member, make_membership, make_unit
from tests.streaming import next_event, open_stream
from tests.triggers.trigger_helpers import at, primary_ruleset
from triggers.services.webhook_secret import reveal_webhook_secret

pytestmark = pytest.mark.django_db(transaction=True)

WITHIN_SECONDS = 2.0


def test_an_event_that_puts_a_lead_in_a_segment_notifies_streams_and_counts_within_2_s(
    server_env, tmp_path, settings, webhook_receiver
):
    env = {
        **server_env,
        # The servers accept the test's tokens and decrypt the signing secret it stored.
        "SECRET_KEY": settings.SECRET_KEY,
        "SECRETS_ENCRYPTION_KEYS": settings.SECRET_KEY,
        "OUTBOUND_ALLOWED_NETWORKS": "loopback",
        "WORKER_SWEEP_SECONDS": "1",
        # A sync server notices a closed stream when it next writes (a heartbeat).
        "LIVE_STREAM_HEARTBEAT_SECONDS": "0.5",
    }
    unit = make_unit()
    member = make_member(unit.org)
    make_membership(unit, member)
    api = requests.Session()
    api.headers["Authorization"] = credential_authorization(make_credential(unit))
    primary_ruleset(unit, {"demo": 30})
    secret = reveal_webhook_secret(unit)["secret"]
    lead_create(ou=unit, lead_id="jo", metadata={})
    lead_create(ou=unit, lead_id="warm-up", metadata={})

    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    worker = start_worker(env=env, log_dir=tmp_path)  # boots while the web server does
    web = start_web(env=env, port=port, log_dir=tmp_path, workers=1)
    try:

        def post(path: str, body: dict) -> dict:
            response = api.post(f"{base}{path}", json=body, timeout=10)
            assert response.status_code in (201, 202), response.text
            return response.json()

        def count() -> int:
            return api.get(f"{base}/segments/{segment_id}/count", timeout=10).json()["count"]

        segment_id = post("/segments", {"name": "Hot"})["segment_id"]
        post(
            f"/segments/{segment_id}/rules",
            {"rule_type": "engagement_score", "operator": "greater_than", "value": "50"},
        )
        trigger = post(
            "/triggers/segments",
            {"segment_id": segment_id, "on": "enter", "name": "Went hot",
             "webhook_url": webhook_receiver.url()},
        )  # fmt: skip
        # jo at 30, below the segment; the worker is up once it has scored the warm-up event.
        post("/events", {"event_type": "demo", "lead_id": "jo", "timestamp": at(0)})
        process_pending_events()
        post("/events", {"event_type": "demo", "lead_id": "warm-up", "timestamp": at(0)})
        assert wait_until(lambda: _scored(api, base, "warm-up"), timeout=30, every=0.05)
        assert count() == 0

        with open_stream(base.removesuffix("/api/v1"), token=token_for(member), ouId=unit.id) as (
            _,
            events,
        ):
            ingested_at = time.time()
            post("/events", {"event_type": "demo", "lead_id": "jo", "timestamp": at(60)})
            entered = next_event(events)
            while entered.event != "segment_entered":  # event_ingested, score_update...
                entered = next_event(events)
            streamed_at = time.time()
        assert wait_until(lambda: count() == 1, timeout=WITHIN_SECONDS, every=0.02)
        counted_at = time.time()
        (request,) = webhook_receiver.wait_for(1, timeout=WITHIN_SECONDS)
    finally:
        stop_process(worker)
        stop_process(web)

    assert entered.json()["lead_id"] == "jo"
    assert entered.json()["segment_id"] == segment_id
    assert entered.json()["cause"] == "event"
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "trigger.segment_entered"
    assert payload["data"]["trigger"]["id"] == trigger["trigger_id"]
    assert payload["data"]["lead"]["id"] == "jo"
    assert payload["data"]["segment"] == {"id": segment_id, "name": "Hot"}
    assert (payload["data"]["direction"], payload["data"]["score"]) == ("enter", 60)
    for moment in (streamed_at, counted_at, request.received_at):
        assert moment - ingested_at <= WITHIN_SECONDS


def _scored(api: requests.Session, base: str, lead_id: str) -> bool:
    response = api.get(f"{base}/leads/{lead_id}/score", timeout=10)
    return response.status_code == 200 and response.json().get("score") == 30
