"""The lock order of lead_locks, played step by step on real connections: a batch that has
claimed a lead's events and is held up mid-batch, and a merge or deletion of that lead
starting then. The old order (merge, deletion: leads, events; batch: events, states, leads)
deadlocked here; now the change waits for the batch and both commit."""

import threading
import time

import pytest
from django.db import connection, transaction

from leadvibe.jobs import job_run
from scoring.models import EngagementEvent, Lead, LeadDeletion, LeadScore
from scoring.services import pipeline
from scoring.services.lead_changes import lead_deletion_request, lead_merge
from scoring.services.leads import lead_create
from tests.factories import make_unit
from tests.scoring.scoring_helpers import (
    config_spec,
    expected_from_reference,
    new_event,
    store_config,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = config_spec([("visit", 3, None, True), ("demo", 10, None, True)])


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


def leads_with_states(unit) -> tuple[Lead, Lead]:
    """Two leads with a scoring state each, and a pending event each."""
    target = lead_create(ou=unit, lead_id="target", metadata={})
    source = lead_create(ou=unit, lead_id="source", metadata={})
    EngagementEvent.objects.bulk_create(
        [new_event(target, "visit", 0), new_event(source, "visit", 1)]
    )
    pipeline.process_pending_events()
    EngagementEvent.objects.bulk_create(
        [new_event(source, "demo", 2), new_event(target, "visit", 3)]
    )
    return target, source


def while_a_batch_is_held_up(source: Lead, change) -> list[Exception]:
    """Runs `change` while a batch that claimed the source's events waits (for its state, which
    another session holds: it stands for anything that keeps a batch busy after its claim).
    Returns what failed."""
    errors: list[Exception] = []
    state_held, release_state = threading.Event(), threading.Event()

    def hold_source_state():
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
    changing = in_thread(change, errors)
    wait_for_waiting_sessions(2)  # the change waits too
    release_state.set()
    for thread in (holder, batch, changing):
        thread.join(30)
    return errors


def test_a_merge_waits_for_the_batch_scoring_its_leads_instead_of_deadlocking():
    unit = make_unit()
    config = store_config(unit, CONFIG)
    target, source = leads_with_states(unit)

    errors = while_a_batch_is_held_up(
        source, lambda: lead_merge(ou=unit, target_id="target", source_ids=["source"])
    )

    assert errors == []
    pipeline.process_pending_events()
    scores = dict(target.leadscore_set.values_list("ruleset_id", "score"))
    assert scores == expected_from_reference(target, config)[0]
    assert EngagementEvent.objects.unscoped().filter(lead=target, status="processed").count() == 4
    assert not LeadScore.objects.unscoped().filter(lead=source).exists()


def test_a_deletion_waits_for_the_batch_scoring_the_lead_instead_of_deadlocking():
    unit = make_unit()
    store_config(unit, CONFIG)
    target, source = leads_with_states(unit)
    deletion = lead_deletion_request(ou=unit, lead_id="source")

    errors = while_a_batch_is_held_up(
        source, lambda: job_run(kind="lead_deletion", job_id=deletion.id)
    )

    assert errors == []
    deletion.refresh_from_db()
    assert (deletion.status, deletion.error) == (LeadDeletion.Status.COMPLETED, "")
    assert not Lead.objects.unscoped().filter(lead_id="source").exists()
    assert not EngagementEvent.objects.unscoped().filter(lead_id=source.pk).exists()
    assert LeadScore.objects.unscoped().filter(lead=target).exists()
