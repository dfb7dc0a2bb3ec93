from celery import shared_task

from scoring.services import decay_sweep, events, imports, lead_changes, pipeline, rescore


@shared_task(ignore_result=True, acks_late=True)
def process_pending_events_task() -> None:
    if pipeline.answer_doorbell():
        process_pending_events_task.delay()


@shared_task(ignore_result=True)
def expire_idempotency_keys_task() -> None:
    events.idempotency_keys_expire()


@shared_task(ignore_result=True, acks_late=True)
def lead_deletion_task(deletion_id: int) -> None:
    lead_changes.lead_deletion_run(deletion_id=deletion_id)


@shared_task(ignore_result=True)
def sweep_lead_deletions_task() -> None:
    """Periodic: runs deletions whose task was never enqueued (Redis down) or whose worker
    died."""
    lead_changes.lead_deletions_sweep()


@shared_task(ignore_result=True, acks_late=True)
def import_job_run_task(job_id: str) -> None:
    imports.import_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def sweep_import_jobs_task() -> None:
    """Periodic: runs imports whose task was never enqueued (Redis down) or whose worker
    died."""
    imports.import_jobs_sweep()


@shared_task(ignore_result=True)
def decay_sweep_task() -> None:
    """Periodic: records the decays that fell due (set-based SQL, scoring.services.decay_sweep)."""
    decay_sweep.decay_sweep()


@shared_task(ignore_result=True, acks_late=True)
def rescore_job_task(job_id: int) -> None:
    rescore.rescore_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def sweep_rescore_jobs_task() -> None:
    """Periodic: runs rescore jobs whose task was never sent (Redis down) or whose worker
    died."""
    rescore.rescore_jobs_sweep()
