"""A durable job (a CSV import) whose real Celery worker is killed with SIGKILL mid-run: once
its lease runs out, the sweep on a restarted worker resumes it from its recorded progress and
every row is stored exactly once."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scoring.ingestion.services.imports import CHUNK_ROWS, import_job_create
from scoring.models import EngagementEvent, ImportJob
from tests.e2e.processes import job_resumed_by_sweep, job_worker_killed
from tests.factories import make_unit

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 60_000
LEASE_SECONDS = 2


def test_an_import_whose_worker_was_killed_is_resumed_and_stores_every_row_once(
    server_env, tmp_path, settings
):
    settings.IMPORT_STORAGE_DIR = tmp_path / "imports"
    env = {
        **server_env,
        "IMPORT_STORAGE_DIR": str(settings.IMPORT_STORAGE_DIR),
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    unit = make_unit()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["event_type", "email", "metadata"])
    writer.writerows(["page_view", f"u{n % 500}@x.test", json.dumps({"n": n})] for n in range(ROWS))
    upload = SimpleUploadedFile("events.csv", out.getvalue().encode())
    job = import_job_create(ou=unit, created_by=None, upload=upload)  # sent after commit
    job_row = ImportJob.objects.for_ou(unit).filter(pk=job.pk)

    killed = job_worker_killed(
        job_row, env=env, log_dir=tmp_path, once=lambda job: job.progress_done >= CHUNK_ROWS
    )
    assert killed.rows_failed == 0, killed.errors[:3]
    assert (killed.status, killed.attempts) == ("running", 1)
    assert 0 < killed.progress_done < ROWS, "the kill should land while rows remain"

    done = job_resumed_by_sweep(
        job_row, env=env, log_dir=tmp_path / "restarted", lease_seconds=LEASE_SECONDS
    )
    assert (done.status, done.progress_done, done.rows_failed, done.attempts) == (
        "completed", ROWS, 0, 2,
    )  # fmt: skip
    stored = EngagementEvent.objects.for_ou(unit).values_list("metadata__n", flat=True)
    assert sorted(stored) == list(range(ROWS))
