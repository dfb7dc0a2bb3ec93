"""Celery tasks of the platform: durable jobs (run one, sweep for lost ones) and the audit
log (drained and pruned on beat's schedule)."""

from django.conf import settings

from leadvibe import jobs
from leadvibe.audit import audit_log_flush, audit_log_prune
from leadvibe.task_decorator import instrumented_task

#: Batches one run may drain, so a backlog left by a database outage clears in a few runs
#: without one run holding a worker for long.
FLUSH_MAX_BATCHES_PER_RUN = 10
FLUSH_BATCH_SIZE = 5000
# A job's run is resumable: past the soft limit it hands the job back and the sweep resumes it.
JOB_SOFT_TIME_LIMIT = 3600


@instrumented_task(
    name=jobs.JOB_RUN_TASK,
    soft_time_limit=JOB_SOFT_TIME_LIMIT,
    time_limit=JOB_SOFT_TIME_LIMIT + 60,
)
def job_run_task(kind: str, job_id: int | str) -> None:
    jobs.job_run(kind=kind, job_id=job_id)


@instrumented_task(
    name="leadvibe.tasks.jobs_sweep_task",
    soft_time_limit=JOB_SOFT_TIME_LIMIT,
    time_limit=JOB_SOFT_TIME_LIMIT + 60,
)
def jobs_sweep_task() -> None:
    jobs.jobs_sweep()


@instrumented_task(name="leadvibe.tasks.audit_log_flush_task")
def audit_log_flush_task() -> int:
    flushed = 0
    for _ in range(FLUSH_MAX_BATCHES_PER_RUN):
        count = audit_log_flush(max_batch=FLUSH_BATCH_SIZE)
        flushed += count
        if count < FLUSH_BATCH_SIZE:
            break
    return flushed


@instrumented_task(name="leadvibe.tasks.audit_log_prune_task")
def audit_log_prune_task() -> int:
    """Deletes entries past `AUDIT_LOG_RETENTION_DAYS`; 0 or less keeps them forever."""
    if settings.AUDIT_LOG_RETENTION_DAYS <= 0:
        return 0
    return audit_log_prune(older_than_days=settings.AUDIT_LOG_RETENTION_DAYS)
