"""A throwaway copy of the production stack for benchmarks: embedded PostgreSQL and Redis,
gunicorn with several workers and a Celery worker, each in its own process."""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_stack(*, web_workers: int = 4, web_threads: int = 2, celery_worker: bool = True):
    """Yields (base_url, env, credential) with the whole stack up; stops everything after."""
    sys.path.insert(0, str(ROOT))
    data_dir = Path(tempfile.mkdtemp(prefix="leadvibe-bench-"))
    from leadvibe import embedded
    from leadvibe.process_commands import celery_worker_command, web_server_command

    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    embedded.activate(data_dir, ephemeral=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": "bench",
        "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "metrics"),
        # The limiter still runs on every request (its cost is part of the figures) but does
        # not refuse: the load generator is one client.
        "RATE_LIMIT_MODE": "observe",
        "WEB_CONCURRENCY": str(web_workers),
        "WEB_THREADS": str(web_threads),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    credential = json.loads(
        subprocess.run(
            [
                *manage,
                "bootstrap",
                "--org",
                "Bench",
                "--ou",
                "Bench",
                "--email",
                "bench@example.com",
                "--password",
                "bench-password",
            ],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
    )
    port = embedded.free_port()
    processes = [
        subprocess.Popen(
            web_server_command(bind=f"127.0.0.1:{port}"),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    if celery_worker:
        processes.append(
            subprocess.Popen(
                celery_worker_command(concurrency=1, log_level="WARNING"),
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url)
        yield base_url, env, credential, processes
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(30)
        shutil.rmtree(data_dir / "metrics", ignore_errors=True)


def nearest_rank(ordered: list[float], percent: float) -> float:
    """The `percent` percentile of sorted samples (nearest rank, the sample itself)."""
    return ordered[min(len(ordered) - 1, int(percent / 100 * len(ordered)))]


def latency_summary(latencies: list[float]) -> dict[str, float]:
    """Percentiles of sorted latencies; a sample that never arrived is `inf` and is counted as
    missing."""
    return {
        "p50": nearest_rank(latencies, 50),
        "p95": nearest_rank(latencies, 95),
        "p99": nearest_rank(latencies, 99),
        "missing": sum(1 for value in latencies if value == float("inf")),
    }


# Leads `lead-1` … `lead-N` of one OU, written in one statement (seeding is not measured).
SEED_LEADS_SQL = """
INSERT INTO scoring_lead (lead_id, org_id, unit_id, metadata, created_at, updated_at)
SELECT 'lead-' || n, %(org)s, %(unit)s, '{}'::jsonb, now(), now()
FROM generate_series(1, %(leads)s) AS n
"""


def basic_authorization(credential: dict) -> str:
    """The Authorization header value of the bootstrap credential."""
    token = f"{credential['client_id']}:{credential['client_secret']}".encode()
    return "Basic " + base64.b64encode(token).decode()


class DjangoStack(NamedTuple):
    base_url: str
    env: dict
    credential: dict
    processes: list
    unit: Any  # the credential's OU


@contextmanager
def running_stack_with_django(**stack_options):
    """`running_stack` with Django set up in this process against it (the bench's own reads
    and writes); yields a `DjangoStack`."""
    with running_stack(**stack_options) as (base_url, env, credential, processes):
        django_setup_against(env)
        from orgunits.models import ApiCredential

        credential_row = ApiCredential.objects.unscoped().select_related("unit")
        unit = credential_row.get(client_id=credential["client_id"]).unit
        yield DjangoStack(base_url, env, credential, processes, unit)


def django_setup_against(env: dict) -> None:
    """Django in this process, on the running stack's database and Redis (the bench's own
    reads and writes)."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def _wait_ready(base_url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the stack did not become ready")
