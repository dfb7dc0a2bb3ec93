"""Merging leads whose events a real Celery worker is scoring at that moment (issue 12): every
merge answers 200, never a 5xx deadlock, and once the worker has drained the queue the
merged lead's scores are what a replay of all its events gives."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from leadvibe.embedded import free_port
from scoring.models import EngagementEvent, Lead, LeadScore
from tests.e2e.processes import start_web, start_worker, stop_process, wait_until
from tests.factories import make_credential, make_unit
from tests.scoring.scoring_helpers import config_spec, expected_from_reference, store_config

pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = config_spec(
    [("page_view", 2, None, True), ("form_submit", 7, None, True)],
    [("page_view", 1, None, True), ("demo", 20, None, True)],
)
MERGES = 100
CLIENTS = 4
EVENTS_PER_LEAD = ("page_view", "form_submit", "demo")


def test_merging_leads_right_after_their_events_never_deadlocks(server_env, tmp_path):
    unit = make_unit()
    config = store_config(unit, CONFIG)
    issued = make_credential(unit=unit)
    auth = (issued.credential.client_id, issued.client_secret)
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    web = start_web(env=server_env, port=port, log_dir=tmp_path, workers=2)
    worker = start_worker(env=server_env, log_dir=tmp_path)

    def ingest_then_merge(n: int) -> list[tuple[str, int, str]]:
        answers = []
        with requests.Session() as session:
            session.auth = auth
            lead_ids = []
            for role in ("target", "source"):
                for event_type in EVENTS_PER_LEAD:
                    response = session.post(
                        f"{base}/events",
                        json={
                            "event_type": event_type,
                            "aliases": [{"alias_kind": "email", "raw_value": f"{role}{n}@x.test"}],
                        },
                        timeout=30,
                    )
                    answers.append(("event", response.status_code, response.text))
                lead_ids.append(response.json()["lead_id"])
            response = session.post(
                f"{base}/leads/merge",
                json={"targetLeadId": lead_ids[0], "sourceLeadIds": [lead_ids[1]]},
                timeout=30,
            )
            answers.append(("merge", response.status_code, response.text))
        return answers

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = [a for answers in pool.map(ingest_then_merge, range(MERGES)) for a in answers]
        pending = EngagementEvent.objects.for_ou(unit).filter(status="pending")
        assert wait_until(lambda: not pending.exists(), timeout=60)
    finally:
        stop_process(worker)
        stop_process(web)

    failed = [answer for answer in answers if answer[1] != {"event": 202, "merge": 200}[answer[0]]]
    assert failed == [], f"{len(failed)} of {len(answers)} requests failed, first: {failed[:3]}"
    targets = Lead.objects.for_ou(unit).filter(merged_into__isnull=True)
    assert targets.count() == MERGES
    for target in targets:
        scores = dict(
            LeadScore.objects.unscoped().filter(lead=target).values_list("ruleset_id", "score")
        )
        assert scores == expected_from_reference(target, config)[0], target.lead_id
    assert not LeadScore.objects.unscoped().filter(lead__merged_into__isnull=False).exists()
