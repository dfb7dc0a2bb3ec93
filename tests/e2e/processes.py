"""Starting and stopping real server processes for end-to-end tests."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from celery import current_app

from leadvibe.process_commands import (
    celery_worker_command,
    stream_server_command,
    web_server_command,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{quote(password)}" if password else user
    host = quote(settings_dict.get("HOST") or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{settings_dict['NAME']}"


def start_process(command: list[str], *, env: dict, log_dir: Path, name: str):
    stdout = open(log_dir / f"{name}.out", "wb")  # noqa: SIM115 - closed by stop_process
    stderr = open(log_dir / f"{name}.err", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        command,
        env=env,
        cwd=PROJECT_ROOT,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )
    process.log_files = (stdout, stderr)
    return process


def start_web(*, env: dict, port: int, log_dir: Path, workers: int = 2):
    command = web_server_command(bind=f"127.0.0.1:{port}", workers=workers)
    process = start_process(command, env=env, log_dir=log_dir, name="web")
    wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
    return process


def start_stream(*, env: dict, port: int, log_dir: Path):
    """The live-stream process: gunicorn with one uvicorn worker (ASGI)."""
    command = stream_server_command(bind=f"127.0.0.1:{port}")
    process = start_process(command, env=env, log_dir=log_dir, name="stream")
    wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
    return process


def start_worker(*, env: dict, log_dir: Path):
    return start_process(
        celery_worker_command(concurrency=1), env=env, log_dir=log_dir, name="worker"
    )


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        # The listening socket accepts connections while workers still boot: a slow answer
        # means "not ready yet", like a refused connection.
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


def wait_until(condition: Callable[[], object], *, timeout: float = 30, every: float = 0.2) -> bool:
    """Whether `condition` came true within `timeout` seconds, asked every `every` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for log_file in getattr(process, "log_files", ()):
        log_file.close()


def job_worker_killed(job_row, *, env: dict, log_dir: Path, once: Callable[[Any], bool]):
    """Start a worker, SIGKILL it (its whole process group) as soon as the durable job in
    `job_row` (a one-row queryset) satisfies `once`, and answer the job as the kill left it."""
    worker = start_worker(env=env, log_dir=log_dir)
    try:
        assert wait_until(lambda: once(job_row.get()), timeout=60, every=0.02)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        stop_process(worker)
    return job_row.get()


def job_resumed_by_sweep(job_row, *, env: dict, log_dir: Path, lease_seconds: float):
    """Start a worker, let the killed job's lease run out, send the sweep as beat does, and
    answer the job once it stopped running."""
    log_dir.mkdir()
    worker = start_worker(env=env, log_dir=log_dir)
    try:
        time.sleep(lease_seconds + 0.5)
        current_app.send_task("leadvibe.tasks.jobs_sweep_task")  # as beat sends it
        assert wait_until(lambda: job_row.get().status != "running", timeout=120)
    finally:
        stop_process(worker)
    return job_row.get()


def json_lines(path: Path) -> list[dict]:
    records = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records
