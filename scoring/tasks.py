from celery import shared_task

from scoring.services import events, pipeline


@shared_task(ignore_result=True, acks_late=True)
def process_pending_events_task() -> None:
    if pipeline.process_pending_events() and pipeline.pending_event_count():
        pipeline.ring_doorbell()


@shared_task(ignore_result=True)
def sweep_pending_events_task() -> None:
    """Periodic: processes events whose doorbell was lost (Redis down at ingest time)."""
    pipeline.process_pending_events()


@shared_task(ignore_result=True)
def expire_idempotency_keys_task() -> None:
    events.idempotency_keys_expire()
