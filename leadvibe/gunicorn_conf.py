"""Gunicorn settings for the web process (`gunicorn -c leadvibe/gunicorn_conf.py ...`)."""

import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess

from leadvibe.embedded import default_data_dir

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(default_data_dir().resolve() / "metrics"))

bind = os.environ.get("WEB_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 10
accesslog = None  # the app writes one JSON line per request
wsgi_app = "leadvibe.wsgi:application"


def on_starting(server):
    """Start metrics from zero: files of processes from an earlier run would be summed in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and os.environ.get("LEADVIBE_KEEP_METRICS") != "1":
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
