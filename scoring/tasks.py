"""Celery tasks of scoring: the scoring doorbell, decay and idempotency-key expiry (beat).
Lead deletions, CSV imports and rescores are durable jobs (scoring.jobs, leadvibe.tasks)."""

from leadvibe.task_decorator import instrumented_task
from scoring.ingestion.services import events
from scoring.services import decay_sweep, pipeline


@instrumented_task(name="scoring.tasks.process_pending_events_task")
def process_pending_events_task() -> None:
    if pipeline.answer_doorbell():
        process_pending_events_task.delay()


@instrumented_task(name="scoring.tasks.expire_idempotency_keys_task")
def expire_idempotency_keys_task() -> None:
    events.idempotency_keys_expire()


@instrumented_task(name="scoring.tasks.decay_sweep_task", soft_time_limit=3600, time_limit=3660)
def decay_sweep_task() -> None:
    """Periodic: records the decays that fell due (set-based SQL, scoring.services.decay_sweep)."""
    decay_sweep.decay_sweep()
