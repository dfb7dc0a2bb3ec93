"""Durable jobs: work recorded in PostgreSQL that a worker runs, resumes and finishes.

A job kind is a concrete model on `DurableJob` (the job's own fields: what to do and its
progress) and a `JobHandler` that runs it; an app lists its handlers in its `jobs` module,
which the platform imports at start-up:

    class RescoreJobHandler(JobHandler[RescoreJob]):
        kind = "rescore"
        model = RescoreJob

        def run(self, job, heartbeat):
            ...  # a chunk per transaction, each ending with heartbeat(progress fields)

    job_handlers.register(RescoreJobHandler())   # in scoring/jobs.py

Lifecycle: a service creates the row (`pending`) and calls `job_enqueue(job)` in the same
transaction; after commit a task (`job_run_task`) is sent, or, with Redis down, beat's
periodic `jobs_sweep` picks the job up (a beat task, not a worker-thread sweep: a job runs for
minutes and the worker's own sweep thread must stay free for scoring). Either claims it:
`SELECT ... FOR UPDATE SKIP LOCKED` on a pending job or a running one whose lease expired,
then `running`, `attempts + 1` and a lease of `handler.lease()` (JOB_LEASE_SECONDS),
committed. The handler runs outside that transaction; when it returns the job is
`completed`; when it raises, `failed` with `handler.failure_message(...)` (no retry: the
work's own errors are final) and `handler.on_failed(job)` cleans up.

Lease: a claim owns the job until `lease_expires_at`. A worker that dies (SIGKILL, lost
host) just stops extending it; once it expires the next claim takes the job over. The
claim's `attempts` value is its fencing token: every heartbeat and the final status write
match it, so a worker whose lease was taken over raises `JobLeaseLost` at its next heartbeat
and writes nothing more. A worker stopped in an orderly way (shutdown, soft time limit)
hands the job back at once by expiring its own lease. A job claimed `handler.max_attempts`
times without finishing is failed by the next claim instead of being run again.

Resume contract for handlers: `run(job, heartbeat)` processes in chunks, each in one
transaction that ends with `heartbeat(**progress)`, which in that same transaction checks the
claim, extends the lease and saves the progress fields given. A chunk is thus committed
together with its progress or not at all, and a resumed run starts from the progress the job
row holds (it is read fresh by the claim). A chunk done twice must change nothing (or the
handler must keep its progress in the chunk's transaction, which heartbeat gives it).

Lock order: claims lock job rows only, and skip locked ones, so they never wait. A chunk
locks its job row by its heartbeat, last (after the work's own rows); a handler whose whole
run is one transaction (lead deletion) calls heartbeat first, so that its row lock keeps
claims off until it commits.

Stored statuses are the ones the API shows: pending, running, completed, failed.
"""

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from leadvibe.queueing import send_task_or_leave_to_sweep

logger = logging.getLogger(__name__)

JOB_RUN_TASK = "leadvibe.tasks.job_run_task"
# Jobs of one kind one sweep runs; the next sweep takes the rest.
SWEEP_BATCH = 20
ERROR_MAX_CHARS = 1000


class DurableJob(models.Model):
    """What every job row carries; the concrete model adds what the job does, its tenant
    and any progress of its own."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Units of work (rows, leads) to do and done; total stays null until the run counted them.
    progress_total = models.PositiveIntegerField(null=True)
    progress_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Claims so far; the current claim's value fences its writes.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        abstract = True
        indexes = [
            # The claim's scan: only unfinished jobs, oldest first.
            models.Index(
                fields=["created_at"],
                name="%(class)s_unfinished",
                condition=Q(status__in=["pending", "running"]),
            )
        ]


J = TypeVar("J", bound=DurableJob)


class JobLeaseLost(Exception):
    """Another claim took the job over (this worker's lease had expired)."""


class JobAttemptsExhausted(Exception):
    def __init__(self, attempts: int):
        super().__init__(
            f"Stopped after {attempts} attempts: the worker running it was lost each time."
        )


class JobHandler(Generic[J]):
    """How one kind of job runs. Subclasses set `kind` (the stable name tasks carry) and
    `model`, and implement `run`."""

    kind: ClassVar[str]
    model: ClassVar[type[DurableJob]]
    max_attempts: ClassVar[int] = 5
    # A pending job younger than this is left by the sweep to the task sent with it.
    pending_grace: ClassVar[datetime.timedelta] = datetime.timedelta(0)

    def run(self, job: J, heartbeat: "Heartbeat") -> None:
        raise NotImplementedError

    def lease(self) -> datetime.timedelta:
        """How long a claim or heartbeat holds the job: longer than any chunk takes."""
        return datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS)

    def failure_message(self, job: J, exc: Exception) -> str:
        return str(exc)[:ERROR_MAX_CHARS]

    def on_failed(self, job: J) -> None:
        """Clean-up after the job failed (its row already says so)."""


@dataclass
class JobHandlers:
    """The registry: every kind, by name and by model."""

    by_kind: dict[str, JobHandler[Any]] = field(default_factory=dict)

    def register(self, *handlers: JobHandler[Any]) -> None:
        for handler in handlers:
            if handler.kind in self.by_kind:
                raise ValueError(f"job kind {handler.kind!r} is registered twice")
            self.by_kind[handler.kind] = handler

    def of(self, job: DurableJob) -> JobHandler[Any]:
        return next(h for h in self.by_kind.values() if isinstance(job, h.model))

    def __iter__(self) -> Iterator[JobHandler[Any]]:
        return iter(self.by_kind.values())


job_handlers = JobHandlers()


def job_handlers_discover() -> None:
    """Imports every installed app's `jobs` module (called once from the platform's
    AppConfig.ready), where the app registers its handlers."""
    autodiscover_modules("jobs")


@dataclass
class Heartbeat:
    """Given to `run`: call it at the end of each chunk's transaction."""

    handler: JobHandler[Any]
    job: DurableJob

    def __call__(self, **progress: Any) -> None:
        lease = timezone.now() + self.handler.lease()
        if not _claimed(self.job).update(lease_expires_at=lease, **progress):
            raise JobLeaseLost(f"{self.handler.kind} job {self.job.pk}")
        for name, value in progress.items():
            setattr(self.job, name, value)
        self.job.lease_expires_at = lease


# --- Enqueue ------------------------------------------------------------------------------


def job_enqueue(job: DurableJob) -> None:
    """Send the job to a worker once the current transaction commits (at once outside one);
    with Redis down it is left to the sweep."""
    kind = job_handlers.of(job).kind
    transaction.on_commit(
        partial(send_task_or_leave_to_sweep, JOB_RUN_TASK, args=[kind, job.pk], operation=kind)
    )


# --- Claim and run --------------------------------------------------------------------------


def job_run(*, kind: str, job_id: Any) -> bool:
    """Claim the job and run it; False when it is not due (finished, or another worker holds
    its lease)."""
    handler = job_handlers.by_kind[kind]
    job = _claim(handler, Q(pk=job_id))
    if job is None:
        return False
    _execute(handler, job)
    return True


def jobs_sweep(*, now: datetime.datetime | None = None) -> int:
    """Claim and run the due jobs of every kind: those whose task never came (Redis was
    down) and those whose worker died. Returns how many were claimed."""
    now = now or timezone.now()
    claimed = 0
    for handler in job_handlers:
        due = Q(status=DurableJob.Status.RUNNING) | Q(created_at__lt=now - handler.pending_grace)
        for _ in range(SWEEP_BATCH):
            job = _claim(handler, due)
            if job is None:
                break
            claimed += 1
            _execute(handler, job)
    return claimed


def _claim(handler: JobHandler[Any], which: Q) -> DurableJob | None:
    """The oldest due job matching `which`, now running under a lease of this worker; jobs
    out of attempts met on the way are failed."""
    while True:
        now = timezone.now()
        due = Q(status=DurableJob.Status.PENDING) | Q(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
            status=DurableJob.Status.RUNNING,
        )
        with transaction.atomic():
            job = (
                handler.model._base_manager.select_for_update(skip_locked=True)
                .filter(due, which)
                .order_by("created_at")
                .first()
            )
            if job is None:
                return None
            if job.attempts >= handler.max_attempts:
                _fail(handler, job, JobAttemptsExhausted(job.attempts), fenced=False)
            else:
                job.status = DurableJob.Status.RUNNING
                job.attempts += 1
                job.lease_expires_at = now + handler.lease()
                job.started_at = job.started_at or now
                job.save(update_fields=["status", "attempts", "lease_expires_at", "started_at"])
                return job
        handler.on_failed(job)


def _execute(handler: JobHandler[Any], job: DurableJob) -> None:
    try:
        handler.run(job, Heartbeat(handler, job))
    except JobLeaseLost:
        logger.warning("job taken over by another worker", extra=_log_extra(handler, job))
    except SoftTimeLimitExceeded:
        _hand_back(job)
        raise
    except Exception as exc:
        logger.exception("job failed", extra=_log_extra(handler, job))
        if _fail(handler, job, exc, fenced=True):
            handler.on_failed(job)
    except BaseException:
        _hand_back(job)
        raise
    else:
        _claimed(job).update(
            status=DurableJob.Status.COMPLETED,
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        job.status = DurableJob.Status.COMPLETED


def _fail(handler: JobHandler[Any], job: DurableJob, exc: Exception, *, fenced: bool) -> bool:
    rows = _claimed(job) if fenced else handler.model._base_manager.filter(pk=job.pk)
    failed = rows.update(
        status=DurableJob.Status.FAILED,
        error=handler.failure_message(job, exc),
        finished_at=timezone.now(),
        lease_expires_at=None,
    )
    if failed:
        job.status = DurableJob.Status.FAILED
    return bool(failed)


def _hand_back(job: DurableJob) -> None:
    """An orderly stop: the next claim may resume the job at once."""
    _claimed(job).update(lease_expires_at=timezone.now())


def _claimed(job: DurableJob) -> models.QuerySet[DurableJob]:
    """The job's row while this worker's claim holds it."""
    return type(job)._base_manager.filter(
        pk=job.pk, status=DurableJob.Status.RUNNING, attempts=job.attempts
    )


def _log_extra(handler: JobHandler[Any], job: DurableJob) -> dict[str, Any]:
    return {"job_kind": handler.kind, "job_id": job.pk, "attempts": job.attempts}


def job_progress_share(job: DurableJob) -> float:
    """Share of the work done, 0..1 (1 once completed)."""
    if job.status == DurableJob.Status.COMPLETED:
        return 1.0
    if not job.progress_total:
        return 0.0
    return round(min(job.progress_done / job.progress_total, 1.0), 4)
