"""Celery tasks of the platform: draining and pruning the audit log (scheduled by beat)."""

from celery import shared_task
from django.conf import settings

from leadvibe.audit import audit_log_flush, audit_log_prune

#: Batches one run may drain, so a backlog left by a database outage clears in a few runs
#: without one run holding a worker for long.
FLUSH_MAX_BATCHES_PER_RUN = 10
FLUSH_BATCH_SIZE = 5000


@shared_task(ignore_result=True, acks_late=True)
def audit_log_flush_task() -> int:
    flushed = 0
    for _ in range(FLUSH_MAX_BATCHES_PER_RUN):
        count = audit_log_flush(max_batch=FLUSH_BATCH_SIZE)
        flushed += count
        if count < FLUSH_BATCH_SIZE:
            break
    return flushed


@shared_task(ignore_result=True, acks_late=True)
def audit_log_prune_task() -> int:
    """Deletes entries past `AUDIT_LOG_RETENTION_DAYS`; 0 or less keeps them forever."""
    if settings.AUDIT_LOG_RETENTION_DAYS <= 0:
        return 0
    return audit_log_prune(older_than_days=settings.AUDIT_LOG_RETENTION_DAYS)
