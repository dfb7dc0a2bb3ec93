"""Gunicorn settings for the web process (`gunicorn -c leadvibe/gunicorn_conf.py ...`)."""

import os

from leadvibe.metrics_dir import configure_metrics_dir, reset_metrics_dir

configure_metrics_dir()

from prometheus_client import multiprocess  # noqa: E402 - needs the folder configured first

bind = os.environ.get("WEB_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 10
accesslog = None  # the app writes one JSON line per request
wsgi_app = "leadvibe.wsgi:application"


def on_starting(server):
    if os.environ.get("LEADVIBE_KEEP_METRICS") != "1":
        reset_metrics_dir()


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
