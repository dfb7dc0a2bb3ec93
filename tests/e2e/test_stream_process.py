"""The live stream as production serves it: gunicorn with a uvicorn worker running the ASGI
application, on its own port, against this run's PostgreSQL and Redis; and the same route on
the sync web server."""

import time

import pytest

from leadvibe.embedded import free_port
from scoring.ingestion.services.events import EventInput, event_ingest
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from scoring.services.rulesets import rule_create, ruleset_create
from tests.api_clients import token_for
from tests.e2e.processes import start_stream, start_web, stop_process
from tests.factories import make_member, make_membership, make_unit
from tests.streaming import next_event, open_stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member_of_ou():
    unit = make_unit()
    member = make_member(unit.org)
    make_membership(unit, member)
    return unit, token_for(member)


@pytest.fixture
def env(server_env, settings) -> dict:
    """The servers sign tokens with the test process's key, so they accept its tokens."""
    return {**server_env, "SECRET_KEY": settings.SECRET_KEY}


def test_the_stream_process_relays_events_ingested_and_scored(env, tmp_path, member_of_ou):
    unit, token = member_of_ou
    ruleset_create(ou=unit, member=None, name="Main")
    rule_create(ou=unit, member=None, event_type="demo", weight=7)
    lead_create(ou=unit, lead_id="ld-1", metadata={})
    port = free_port()
    process = start_stream(env=env, port=port, log_dir=tmp_path)
    try:
        with open_stream(f"http://127.0.0.1:{port}", token=token, ouId=unit.id) as (
            response,
            events,
        ):
            assert response.headers["server"] == "uvicorn"
            stored = event_ingest(ou=unit, event=EventInput("demo", lead_id="ld-1"))
            ingested = next_event(events)
            process_pending_events()
            scored = next_event(events)
        stopping = time.monotonic()
    finally:
        stop_process(process)
    assert time.monotonic() - stopping < 10
    assert ingested.event == "event_ingested"
    assert ingested.json()["event_id"] == stored.public_id
    assert scored.event == "score_update"
    assert {key: scored.json()[key] for key in ("lead_id", "score", "delta")} == {
        "lead_id": "ld-1",
        "score": 7,
        "delta": 7,
    }


def test_the_sync_web_server_streams_too(env, tmp_path, member_of_ou):
    unit, token = member_of_ou
    lead_create(ou=unit, lead_id="ld-1", metadata={})
    port = free_port()
    # A sync server notices a client has gone only when it next writes (a heartbeat).
    env = {**env, "LIVE_STREAM_HEARTBEAT_SECONDS": "0.5"}
    process = start_web(env=env, port=port, log_dir=tmp_path, workers=1)
    try:
        with open_stream(f"http://127.0.0.1:{port}", access_token=token, ouId=unit.id) as (
            response,
            events,
        ):
            assert response.headers["server"].startswith("gunicorn")
            event_ingest(ou=unit, event=EventInput("demo", lead_id="ld-1"))
            assert next_event(events).json()["lead_id"] == "ld-1"
    finally:
        stop_process(process)
