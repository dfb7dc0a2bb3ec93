"""Throughput and memory of the CSV import, run by the service as a worker runs it.

Writes a CSV of `--rows` rows with a realistic mix (see `write_csv`), stores it as an upload
(`import_job_create`, the web side, timed apart) and runs the job (`job_run`: count
pass, parse, bulk lead resolution, COPY of the events). Each run imports the same file into
a fresh OU of the throwaway embedded PostgreSQL, so every run creates the same leads. Prints
rows/s of each run and their median, and the process's peak RSS (ru_maxrss).

Run: `python bench/csv_import.py [--rows 200000] [--runs 3]`.
"""

import argparse
import csv
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadvibe.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.core.management import call_command  # noqa: E402

from leadvibe.jobs import job_run  # noqa: E402
from orgunits.services import org_unit_create, organization_create  # noqa: E402
from scoring.ingestion.services.imports import ImportJobHandler, import_job_create  # noqa: E402
from scoring.models import EngagementEvent, ImportJob, Lead  # noqa: E402
from scoring.services.leads import lead_create  # noqa: E402

KNOWN_LEADS = 1000
EVENT_TYPES = ["page_view", "email_open", "email_click", "webinar_attended", "form_submit"]
PATHS = ["/", "/pricing", "/docs", "/blog/launch", "/contact"]


def write_csv(path: Path, rows: int, seed: int = 7) -> dict[str, int]:
    """The mix, per row: 30% a new lead by email; 45% a repeat of an earlier email; 10% a
    repeat email with a phone (attached to that lead); 5% an existing lead by lead_id; 5% a
    cookie (new or repeat); 4% external_id + email; 1% bad (bad timestamp, metadata not an
    object, empty event_type, unknown lead_id)."""
    rng = random.Random(seed)
    emails: list[str] = []
    cookies: list[str] = []
    mix = {"bad": 0}
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["event_type", "lead_id", "timestamp", "metadata", "email", "phone", "cookie",
             "external_id", "campaign"]
        )  # fmt: skip
        for n in range(rows):
            roll = rng.random()
            event_type = rng.choice(EVENT_TYPES)
            stamp = f"2025-08-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"
            meta = json.dumps({"channel": "web", "path": rng.choice(PATHS), "n": n})
            lead_id = email = phone = cookie = external = ""
            if roll < 0.30 or not emails:
                email = f"Lead{n}@Example.com"
                emails.append(email.lower())
            elif roll < 0.75:
                email = rng.choice(emails)
            elif roll < 0.85:
                email = rng.choice(emails)
                phone = f"+1 (555) {n % 1000:03d}-{n % 10000:04d}"
            elif roll < 0.90:
                lead_id = f"known-{rng.randrange(KNOWN_LEADS)}"
            elif roll < 0.95:
                if cookies and rng.random() < 0.5:
                    cookie = rng.choice(cookies)
                else:
                    cookie = f"ck-{n}"
                    cookies.append(cookie)
            elif roll < 0.99:
                external = f"crm-{n % 5000}"
                email = rng.choice(emails)
            else:
                mix["bad"] += 1
                kind = n % 4
                email = rng.choice(emails)
                if kind == 0:
                    stamp = "yesterday"
                elif kind == 1:
                    meta = "[1, 2]"
                elif kind == 2:
                    event_type = ""
                else:
                    email, lead_id = "", "nobody"
            writer.writerow(
                [event_type, lead_id, stamp, meta, email, phone, cookie, external, "summer"]
            )
    return mix


def one_run(path: Path, run: int) -> tuple[float, float, ImportJob]:
    unit = org_unit_create(org=organization_create(name=f"Bench {run}"), name="Bench")
    for n in range(KNOWN_LEADS):
        lead_create(ou=unit, lead_id=f"known-{n}", metadata={})
    started = time.perf_counter()
    with path.open("rb") as upload:
        job = import_job_create(ou=unit, created_by=None, upload=File(upload, name=path.name))
    stored = time.perf_counter()
    job_run(kind=ImportJobHandler.kind, job_id=job.id)
    finished = time.perf_counter()
    job.refresh_from_db()
    return stored - started, finished - stored, job


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as folder:
        settings.IMPORT_STORAGE_DIR = Path(folder) / "imports"
        path = Path(folder) / "events.csv"
        mix = write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        # The bench measures the worker's run; a large --rows file may exceed the upload limit.
        settings.IMPORT_MAX_FILE_BYTES = max(settings.IMPORT_MAX_FILE_BYTES, path.stat().st_size)
        print(f"{args.rows:,} rows, {size_mb:.1f} MB, {mix['bad']:,} bad rows")
        rates = []
        for run in range(1, args.runs + 1):
            upload_s, run_s, job = one_run(path, run)
            assert job.status == ImportJob.Status.COMPLETED, job.error
            assert job.progress_done == args.rows
            assert job.rows_failed >= mix["bad"]
            rates.append(args.rows / run_s)
            leads = Lead.objects.for_ou(job.unit).count()
            events = EngagementEvent.objects.for_ou(job.unit).count()
            print(
                f"run {run}: import {run_s:6.2f} s = {rates[-1]:9,.0f} rows/s"
                f"   (upload check+store {upload_s:5.2f} s; {events:,} events,"
                f" {job.rows_failed:,} failed rows, {leads:,} leads)"
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"median: {statistics.median(rates):,.0f} rows/s   target >= 30,000")
    print(f"peak RSS of this process: {peak_mb:,.0f} MB   target <= 300 MB")


if __name__ == "__main__":
    main()
