"""Rescoring (POST /rulesets/{id}/rescore): every lead of the OU replayed from its stored
events under the current configuration, as a job that reports its progress.

The job walks the OU's leads in lead-key order, a chunk per transaction, and records after each
chunk the last lead done, so that a job whose worker died resumes where it stopped: the sweep
takes over a running job nobody holds (the runner holds an advisory lock on the job for its
whole run). Replays are idempotent, so a chunk done twice changes nothing.
"""

import logging
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from leadvibe.db import atomic_retrying_conflicts
from leadvibe.queueing import send_task_or_leave_to_sweep
from orgunits.models import Member, OrgUnit
from scoring.models import Lead, RescoreJob, Ruleset
from scoring.selectors.config import config_object_get
from scoring.services.scoring_stage import leads_replay

logger = logging.getLogger(__name__)

RESCORE_TASK = "scoring.tasks.rescore_job_task"
CHUNK = 500
# Namespace of the advisory locks that say a job is being run.
_LOCK_SPACE = 0x5C0E


def rescore_start(*, ou: OrgUnit, member: Member | None, ruleset_id: str) -> RescoreJob:
    """POST /rulesets/{id}/rescore."""
    ruleset = config_object_get(Ruleset, ou=ou, public_id=ruleset_id)
    return ou_rescore_start(ou=ou, member=member, ruleset=ruleset)


def ou_rescore_start(
    *, ou: OrgUnit, member: Member | None = None, ruleset: Ruleset | None = None
) -> RescoreJob:
    """Record a job for the OU and send it to a worker after commit. While one is pending
    (not yet started) for the OU, that one is answered: it will see every change made so
    far. `ruleset` only records what the job was asked for."""
    with transaction.atomic():
        job = (
            RescoreJob.objects.for_ou(ou)
            .select_for_update()
            .filter(status=RescoreJob.Status.PENDING)
            .first()
        )
        if job is None:
            job = RescoreJob.objects.create(
                org_id=ou.org_id, unit=ou, ruleset=ruleset, created_by=member
            )
            transaction.on_commit(
                lambda: send_task_or_leave_to_sweep(
                    RESCORE_TASK, args=[job.id], operation="rescore"
                )
            )
    return job


def rescore_job_run(*, job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_SPACE, job_id])
        if not cursor.fetchone()[0]:
            return  # another worker runs it
    try:
        _run_locked(job_id)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_SPACE, job_id])


def _run_locked(job_id: int) -> None:
    job = RescoreJob.objects.filter(id=job_id, status__in=RescoreJob.IN_PROGRESS).first()
    if job is None:
        return
    leads = Lead.objects.filter(unit_id=job.unit_id).order_by("id")
    if job.status == RescoreJob.Status.PENDING:
        job.status = RescoreJob.Status.RUNNING
        job.started_at = timezone.now()
        job.leads_total = leads.count()
        job.save(update_fields=["status", "started_at", "leads_total"])
    try:
        while chunk := list(
            leads.filter(id__gt=job.last_lead_pk).values_list("id", flat=True)[:CHUNK]
        ):
            atomic_retrying_conflicts(
                partial(_chunk_replay, job, chunk, leads_done=job.leads_done + len(chunk))
            )
    except Exception as exc:
        logger.exception("rescore failed", extra={"job_id": job_id})
        job.status, job.error, job.finished_at = (
            RescoreJob.Status.FAILED,
            str(exc)[:1000],
            timezone.now(),
        )
        job.save(update_fields=["status", "error", "finished_at"])
        return
    job.status, job.finished_at = RescoreJob.Status.COMPLETED, timezone.now()
    job.save(update_fields=["status", "finished_at"])


def _chunk_replay(job: RescoreJob, chunk: list[int], *, leads_done: int) -> None:
    leads_replay(unit_id=job.unit_id, lead_pks=chunk)
    job.last_lead_pk = chunk[-1]
    job.leads_done = leads_done
    job.save(update_fields=["last_lead_pk", "leads_done"])


def rescore_jobs_sweep() -> int:
    """Run jobs whose task never came (Redis was down) or whose worker died."""
    waiting = list(
        RescoreJob.objects.filter(status__in=RescoreJob.IN_PROGRESS)
        .order_by("id")
        .values_list("id", flat=True)[:10]
    )
    for job_id in waiting:
        rescore_job_run(job_id=job_id)
    return len(waiting)
