"""The lock order of lead_locks, played step by step on real connections: a batch that has
claimed a lead's events and is held up mid-batch, and a merge of that lead starting then. The
old order (merge: leads, events; batch: events, states, leads) deadlocked here; now the merge
waits for the batch and both commit."""

import threading
import time

import pytest
from django.db import connection, transaction

from scoring.models import EngagementEvent, LeadScore
from scoring.services import pipeline
from scoring.services.lead_changes import lead_merge
from scoring.services.leads import lead_create
from tests.factories import make_unit
from tests.scoring.scoring_helpers import expected_from_reference, new_event, store_config

pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = {
    "rulesets": [{"rules": [("visit", 3, None, True), ("demo", 10, None, True)], "active": True}],
    "attribute_filters": [],
    "inorganic_filters": [],
    "surge": ("standard", [], "2"),
    "idle_minutes": 30,
    "event_types": [],
    "allow_negative": False,
}


def waiting_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def wait_for_waiting_sessions(count: int) -> None:
    deadline = time.monotonic() + 10
    while waiting_sessions() < count:
        assert time.monotonic() < deadline, f"expected {count} sessions waiting for a lock"
        time.sleep(0.02)


def in_thread(work, errors: list) -> threading.Thread:
    def run():
        try:
            work()
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_merge_waits_for_the_batch_scoring_its_leads_instead_of_deadlocking():
    unit = make_unit()
    config = store_config(unit, CONFIG)
    target = lead_create(ou=unit, lead_id="target", metadata={})
    source = lead_create(ou=unit, lead_id="source", metadata={})
    EngagementEvent.objects.bulk_create(
        [new_event(target, "visit", 0), new_event(source, "visit", 1)]
    )
    pipeline.process_pending_events()  # both leads have a scoring state now
    EngagementEvent.objects.bulk_create(
        [new_event(source, "demo", 2), new_event(target, "visit", 3)]
    )

    errors: list[Exception] = []
    state_held, release_state = threading.Event(), threading.Event()

    def hold_source_state():
        # Stands for anything that keeps the batch busy after its claim.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM scoring_leadscoringstate WHERE lead_id = %s FOR UPDATE", [source.pk]
            )
            state_held.set()
            release_state.wait(10)

    holder = in_thread(hold_source_state, errors)
    assert state_held.wait(10)
    batch = in_thread(pipeline.process_pending_batch, errors)
    wait_for_waiting_sessions(1)  # the batch, with its claim, waits for the source's state
    merge = in_thread(
        lambda: lead_merge(ou=unit, target_id="target", source_ids=["source"]), errors
    )
    wait_for_waiting_sessions(2)  # the merge waits too
    release_state.set()
    for thread in (holder, batch, merge):
        thread.join(30)

    assert errors == []
    pipeline.process_pending_events()
    scores = dict(LeadScore.objects.filter(lead=target).values_list("ruleset_id", "score"))
    assert scores == expected_from_reference(target, config)[0]
    assert EngagementEvent.objects.filter(lead=target, status="processed").count() == 4
    assert not LeadScore.objects.filter(lead=source).exists()
