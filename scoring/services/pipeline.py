"""The processing queue of pending events (architecture.md §3).

Workers claim the oldest pending events in batches with `FOR UPDATE SKIP LOCKED`, together
with their leads' locks (lead_locks), so any number of them share the queue without waiting
on each other or on a merge, score each batch inside the claiming transaction (scoring_stage,
which publishes the SCORED_BATCH extension point), and mark the events processed. A worker
that dies mid-batch holds no claim: its transaction rolls back and the events are pending
again.

Redis only rings the doorbell (a debounced Celery task); each worker's own sweep
(`leadvibe.worker_sweeps`, PostgreSQL only) processes the queue too, so a
lost doorbell delays events by at most one sweep interval. The wake-up task is sent by name:
services never import `scoring.tasks`, which imports them.
"""

import logging
import time
from collections.abc import Mapping, Sequence
from functools import partial

from celery import current_app
from redis.exceptions import RedisError

from leadvibe.db import atomic_retrying_conflicts
from leadvibe.live import LiveEvent, queue_live_events
from leadvibe.metrics import REDIS_UNAVAILABLE
from leadvibe.redis_client import get_redis
from scoring.models import EngagementEvent, Lead
from scoring.services.scoring_stage import score_batch

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
GATHER_SECONDS = 0.05
DOORBELL_KEY = "scoring:doorbell"
# At most one wake-up task per this many seconds while a run drains the queue; the run clears
# the key when the queue is empty, so the next event wakes a worker at once.
DOORBELL_DEBOUNCE_SECONDS = 1

PROCESS_PENDING_EVENTS_TASK = "scoring.tasks.process_pending_events_task"


def ring_doorbell(*, live_events: Mapping[str, Sequence[LiveEvent]] | None = None) -> None:
    """Wake a worker. `live_events` (`{unit_id: events}`) for the live stream are published in
    the same round trip to Redis."""
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            pipe.set(DOORBELL_KEY, "1", nx=True, ex=DOORBELL_DEBOUNCE_SECONDS)
            for unit_id, events in (live_events or {}).items():
                queue_live_events(pipe, unit_id, events)
            rang = pipe.execute()[0]
        if rang:
            current_app.signature(PROCESS_PENDING_EVENTS_TASK).delay()
    except (RedisError, OSError) as exc:
        REDIS_UNAVAILABLE.labels(operation="doorbell").inc()
        logger.warning(
            "doorbell not rung; the sweep will pick events up", extra={"error": str(exc)}
        )


def answer_doorbell(*, max_batches: int = 100) -> bool:
    """Drain the queue, then re-arm the doorbell: the key is cleared before one last look, so
    an event stored after that look rings anew and one stored before it is seen. Returns
    whether work remains after `max_batches` (the caller queues another run). Events that are
    pending but held are waited for, in GATHER_SECONDS steps.

    While events only trickle in, each batch waits GATHER_SECONDS first: a batch's fixed cost
    (a dozen statements and a commit) paid for every single event would eat the machine at a
    few hundred events/s. Under load batches are full and nothing waits.
    """
    time.sleep(GATHER_SECONDS)
    for _ in range(max_batches):
        claimed = process_pending_batch()
        if claimed == BATCH_SIZE:
            continue
        # Events still pending when none could be claimed are held: by another batch, or
        # through their leads by a merge, deletion or replay. They come free at its commit.
        if claimed or pending_event_count():
            time.sleep(GATHER_SECONDS)
            continue
        try:
            get_redis().delete(DOORBELL_KEY)
        except (RedisError, OSError):
            REDIS_UNAVAILABLE.labels(operation="doorbell").inc()
        if not process_pending_batch():
            return False
    return True


# The oldest pending events whose event row and lead row are both free, locking both: an
# event whose lead a merge, deletion or replay holds waits for a later batch (lead_locks).
# Each event carries its lead's public id (`lead_public_id`) for the batch's subscribers.
_CLAIM_SQL = f"""
SELECT e.*, l.lead_id AS lead_public_id FROM {EngagementEvent._meta.db_table} e
JOIN {Lead._meta.db_table} l ON l.id = e.lead_id
WHERE e.status = %s
ORDER BY e.seq
LIMIT %s
FOR UPDATE OF e SKIP LOCKED
FOR NO KEY UPDATE OF l SKIP LOCKED
"""  # noqa: S608 - table names are ours


def process_pending_batch(*, batch_size: int = BATCH_SIZE) -> int:
    """Claim and process one batch of the oldest pending events; returns how many."""
    return atomic_retrying_conflicts(partial(_claimed_batch_process, batch_size))


def _claimed_batch_process(batch_size: int) -> int:
    batch = list(
        EngagementEvent.objects.raw(_CLAIM_SQL, [EngagementEvent.Status.PENDING, batch_size])
    )
    if not batch:
        return 0
    score_batch(batch)
    EngagementEvent.objects.unscoped().filter(seq__in=[event.seq for event in batch]).update(
        status=EngagementEvent.Status.PROCESSED
    )
    return len(batch)


def process_pending_events(*, max_batches: int = 100) -> int:
    processed = 0
    for _ in range(max_batches):
        count = process_pending_batch()
        processed += count
        if count == 0:
            break
    return processed


def pending_event_count() -> int:
    return EngagementEvent.objects.unscoped().filter(status=EngagementEvent.Status.PENDING).count()
