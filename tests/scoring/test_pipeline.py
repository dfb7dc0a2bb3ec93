"""The pending-event queue: claiming in batches, concurrent workers, the doorbell."""

import threading

import pytest
from django.db import connection, transaction

from leadvibe.redis_client import get_redis
from scoring.models import EngagementEvent
from scoring.services import pipeline
from scoring.services.lead_locks import leads_lock
from tests.concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def ingest(client, count: int, *, leads: range = range(7)) -> None:
    events = [
        {
            "event_type": "t",
            "aliases": [{"alias_kind": "cookie", "raw_value": f"c{leads[n % len(leads)]}"}],
        }
        for n in range(count)
    ]
    assert client.post("/api/v1/events/batch", {"events": events}, format="json").status_code == 202


def test_a_batch_claims_the_oldest_pending_events_and_marks_them_processed(client, monkeypatch):
    ingest(client, 12)
    seen = []
    monkeypatch.setattr(pipeline, "score_batch", lambda batch: seen.append([e.seq for e in batch]))

    assert pipeline.process_pending_batch(batch_size=5) == 5
    assert pipeline.pending_event_count() == 7
    assert pipeline.process_pending_events() == 7
    assert pipeline.process_pending_batch() == 0
    oldest_first = sorted(EngagementEvent.objects.unscoped().values_list("seq", flat=True))
    assert seen[0] == oldest_first[:5]
    assert set(EngagementEvent.objects.unscoped().values_list("status", flat=True)) == {"processed"}


def test_a_failing_stage_leaves_the_batch_pending(client, monkeypatch):
    ingest(client, 3)

    def broken(batch):
        raise RuntimeError("worker died")

    monkeypatch.setattr(pipeline, "score_batch", broken)
    with pytest.raises(RuntimeError):
        pipeline.process_pending_batch()
    assert pipeline.pending_event_count() == 3


def test_two_concurrent_workers_never_claim_the_same_event(client, monkeypatch):
    # The second worker's events are of other leads: a lead's events are scored by one batch
    # at a time (it claims them with the lead).
    ingest(client, 20, leads=range(4))
    ingest(client, 20, leads=range(4, 7))
    claimed: list[int] = []
    lock = threading.Lock()
    both_inside = threading.Barrier(2, timeout=10)

    def stage(batch):
        with lock:
            claimed.extend(event.seq for event in batch)
        both_inside.wait()  # both workers hold their claims at the same moment

    monkeypatch.setattr(pipeline, "score_batch", stage)

    run_in_threads(lambda _: pipeline.process_pending_batch(batch_size=20), count=2)
    assert len(claimed) == 40
    assert len(set(claimed)) == 40
    assert pipeline.pending_event_count() == 0


def test_the_doorbell_enqueues_one_wake_up_per_debounce_window(client):
    redis = get_redis()
    ingest(client, 3)
    ingest(client, 3)
    assert redis.llen("celery") == 1
    redis.delete(pipeline.DOORBELL_KEY)
    ingest(client, 1)
    assert redis.llen("celery") == 2


def test_a_drained_queue_re_arms_the_doorbell_so_the_next_event_wakes_a_worker(client):
    redis = get_redis()
    ingest(client, 2)
    assert redis.exists(pipeline.DOORBELL_KEY)
    assert pipeline.answer_doorbell() is False  # drained: nothing left for another run
    assert not EngagementEvent.objects.unscoped().filter(status="pending").exists()
    assert not redis.exists(pipeline.DOORBELL_KEY)
    redis.delete("celery")
    ingest(client, 1)  # within the debounce second, yet it rings
    assert redis.llen("celery") == 1


def test_a_run_that_reaches_its_batch_limit_asks_for_another_run(client):
    ingest(client, 3)
    assert pipeline.answer_doorbell(max_batches=1) is True


def test_events_of_a_lead_a_merge_holds_are_scored_as_soon_as_it_commits(client):
    ingest(client, 3, leads=range(1))
    lead_pk = EngagementEvent.objects.unscoped().values_list("lead_id", flat=True).first()
    held, release = threading.Event(), threading.Event()

    def merge_in_progress():
        try:
            with transaction.atomic():
                leads_lock(lead_pks=[lead_pk])
                held.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=merge_in_progress)
    holder.start()
    assert held.wait(10)
    threading.Timer(0.5, release.set).start()
    # The run neither waits on the lead nor ends while its events are held.
    assert pipeline.answer_doorbell() is False
    holder.join()
    assert pipeline.pending_event_count() == 0
