"""The command lines of the stack's server processes: the web server (gunicorn, WSGI), the
live-stream server (gunicorn with one uvicorn worker, ASGI), the Celery worker and Celery beat.

`runstack`, the end-to-end tests and the benchmarks start the same processes from here, so
what they run is what production runs."""

import sys
from pathlib import Path

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def web_server_command(*, bind: str, workers: int | None = None) -> list[str]:
    """Gunicorn on `bind` (`host:port`); without `workers`, WEB_CONCURRENCY decides."""
    command = [
        sys.executable, "-m", "gunicorn",
        "-c", str(_PROJECT_ROOT / "leadvibe" / "gunicorn_conf.py"),
        "--bind", bind,
    ]  # fmt: skip
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


def stream_server_command(*, bind: str) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "-c", str(_PROJECT_ROOT / "leadvibe" / "gunicorn_stream_conf.py"),
        "--bind", bind,
    ]  # fmt: skip


def celery_worker_command(
    *, concurrency: int, log_level: str = "INFO", gossip: bool = False
) -> list[str]:
    """A worker that skips mingle (and gossip unless asked): it starts without waiting for
    other workers."""
    command = [
        sys.executable, "-m", "celery", "-A", "leadvibe", "worker",
        "--loglevel", log_level,
        "--concurrency", str(concurrency),
        "--without-mingle",
    ]  # fmt: skip
    if not gossip:
        command.append("--without-gossip")
    return command


def celery_beat_command(*, schedule: Path) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "leadvibe", "beat",
        "--loglevel", "INFO",
        "--schedule", str(schedule),
    ]  # fmt: skip
