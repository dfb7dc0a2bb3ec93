"""The durable-job framework (leadvibe.jobs) on a handler of its own: claims on real
concurrent connections, leases taken over from a dead worker, resume from recorded progress,
the attempts cap, failures and enqueue-on-commit. RescoreJob lends the table."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from leadvibe import jobs
from leadvibe.jobs import (
    Heartbeat,
    JobHandler,
    JobHandlers,
    JobLeaseLost,
    job_enqueue,
    job_run,
    jobs_sweep,
)
from scoring.models import RescoreJob
from tests.factories import make_unit

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = 10
CHUNK = 3


class WorkerKilled(BaseException):
    """What a worker's process going away looks like from inside the run."""


class CountingHandler(JobHandler[RescoreJob]):
    """Does items 0..ITEMS-1 in chunks, each chunk committed with its progress."""

    kind = "test_counting"
    model = RescoreJob
    max_attempts = 3

    def __init__(self):
        self.done: list[int] = []
        self.failed: list[int] = []
        self.stop_after_chunks: int | None = None
        self.started = threading.Event()
        self.release = threading.Event()
        self.wait_in_run = False
        self.error: Exception | None = None

    def run(self, job: RescoreJob, heartbeat: Heartbeat) -> None:
        self.started.set()
        if self.wait_in_run:
            self.release.wait(10)
        if self.error is not None:
            raise self.error
        if job.progress_total is None:
            heartbeat(progress_total=ITEMS)
        chunks = 0
        while job.progress_done < ITEMS:
            if chunks == self.stop_after_chunks:
                raise WorkerKilled
            chunk = range(job.progress_done, min(job.progress_done + CHUNK, ITEMS))
            with transaction.atomic():
                heartbeat(progress_done=chunk.stop)
            self.done.extend(chunk)
            chunks += 1

    def on_failed(self, job: RescoreJob) -> None:
        self.failed.append(job.pk)


@pytest.fixture
def handler(monkeypatch):
    """The only registered kind while the test runs."""
    registry = JobHandlers()
    registry.register(CountingHandler())
    monkeypatch.setattr(jobs, "job_handlers", registry)
    return registry.by_kind[CountingHandler.kind]


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(
        jobs, "send_task_or_leave_to_sweep", lambda name, **kw: calls.append((name, kw["args"]))
    )
    return calls


def new_job() -> RescoreJob:
    unit = make_unit()
    return RescoreJob.objects.create(org_id=unit.org_id, unit=unit)


def stored(job: RescoreJob) -> RescoreJob:
    return rows(job).get()


def rows(job: RescoreJob):
    return RescoreJob.objects.for_ou(job.unit_id).filter(pk=job.pk)


def test_a_job_runs_in_chunks_to_completion(handler):
    job = new_job()
    assert job_run(kind=handler.kind, job_id=job.pk)
    job = stored(job)
    assert handler.done == list(range(ITEMS))
    assert (job.status, job.progress_done, job.progress_total, job.attempts) == (
        "completed", ITEMS, ITEMS, 1,
    )  # fmt: skip
    assert job.started_at
    assert job.finished_at
    assert job.lease_expires_at is None
    assert not job_run(kind=handler.kind, job_id=job.pk)  # finished: not run again


def test_the_claim_skips_a_job_another_worker_holds(handler):
    """One worker runs the job (its lease is live); a second one, on its own connection,
    neither waits for it nor runs it, by id or by sweep."""
    job = new_job()
    handler.wait_in_run = True
    first = threading.Thread(
        target=lambda: (job_run(kind=handler.kind, job_id=job.pk), connection.close())
    )
    first.start()
    try:
        assert handler.started.wait(10)
        assert stored(job).status == "running"
        assert not job_run(kind=handler.kind, job_id=job.pk)
        assert jobs_sweep() == 0
    finally:
        handler.release.set()
        first.join(10)
    job = stored(job)
    assert (job.status, job.attempts) == ("completed", 1)
    assert handler.done == list(range(ITEMS))


def test_the_claim_skips_a_row_locked_by_a_claim_in_progress(handler):
    job = new_job()
    locked, release = threading.Event(), threading.Event()

    def claim_in_progress():
        with transaction.atomic():
            rows(job).select_for_update().get()
            locked.set()
            release.wait(10)
        connection.close()

    other = threading.Thread(target=claim_in_progress)
    other.start()
    try:
        assert locked.wait(10)
        assert not job_run(kind=handler.kind, job_id=job.pk)  # SKIP LOCKED: no wait
    finally:
        release.set()
        other.join(10)
    assert job_run(kind=handler.kind, job_id=job.pk)


def test_a_dead_workers_job_is_taken_over_once_its_lease_expires_and_resumes(handler, monkeypatch):
    job = new_job()
    handler.stop_after_chunks = 2
    # Killed outright: it cannot hand the job back.
    monkeypatch.setattr(jobs, "_hand_back", lambda job: None)
    with pytest.raises(WorkerKilled):
        job_run(kind=handler.kind, job_id=job.pk)
    dead = stored(job)
    assert (dead.status, dead.progress_done, dead.attempts) == ("running", 6, 1)

    assert jobs_sweep() == 0  # the lease still runs
    rows(job).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    handler.stop_after_chunks = None
    assert jobs_sweep() == 1

    job = stored(job)
    assert (job.status, job.progress_done, job.attempts) == ("completed", ITEMS, 2)
    assert handler.done == list(range(ITEMS))  # resumed at 6, nothing done twice
    # The dead claim's writes are fenced off: its heartbeat finds the job taken over.
    dead.status = "running"
    with pytest.raises(JobLeaseLost):
        Heartbeat(handler, dead)(progress_done=0)
    assert stored(job).progress_done == ITEMS


def test_an_orderly_stop_hands_the_job_back_at_once(handler):
    job = new_job()
    handler.stop_after_chunks = 1
    with pytest.raises(WorkerKilled):
        job_run(kind=handler.kind, job_id=job.pk)
    handler.stop_after_chunks = None
    assert jobs_sweep() == 1
    assert stored(job).status == "completed"
    assert handler.done == list(range(ITEMS))


def test_a_job_out_of_attempts_fails_instead_of_running(handler):
    job = new_job()
    rows(job).update(status="running", attempts=CountingHandler.max_attempts, lease_expires_at=None)
    assert jobs_sweep() == 0
    job = stored(job)
    assert job.status == "failed"
    assert job.error == "Stopped after 3 attempts: the worker running it was lost each time."
    assert job.finished_at is not None
    assert handler.done == []
    assert handler.failed == [job.pk]


def test_an_error_in_the_run_fails_the_job_without_retry(handler):
    job = new_job()
    handler.error = RuntimeError("boom")
    assert job_run(kind=handler.kind, job_id=job.pk)
    job = stored(job)
    assert (job.status, job.error, job.attempts) == ("failed", "boom", 1)
    assert handler.failed == [job.pk]
    assert jobs_sweep() == 0


def test_a_pending_job_is_sent_only_after_its_transaction_commits(handler, sent):
    with transaction.atomic():
        job = new_job()
        job_enqueue(job)
        assert sent == []
    assert sent == [(jobs.JOB_RUN_TASK, [handler.kind, job.pk])]


def test_a_rolled_back_job_is_never_sent(handler, sent):
    unit = make_unit()

    def enqueue_then_fail() -> None:
        with transaction.atomic():
            job_enqueue(RescoreJob.objects.create(org_id=unit.org_id, unit=unit))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()
    assert sent == []
    assert not RescoreJob.objects.for_ou(unit).exists()


def test_the_sweep_leaves_young_pending_jobs_to_their_task(handler, monkeypatch):
    monkeypatch.setattr(CountingHandler, "pending_grace", datetime.timedelta(minutes=1))
    job = new_job()
    assert jobs_sweep() == 0
    assert jobs_sweep(now=timezone.now() + datetime.timedelta(minutes=2)) == 1
    assert stored(job).status == "completed"


def test_a_kind_registers_once():
    registry = JobHandlers()
    registry.register(CountingHandler())
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(CountingHandler())
