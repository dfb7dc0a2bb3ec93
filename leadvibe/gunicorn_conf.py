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
# No request-line limit of gunicorn's own (it still stops at 1 MiB): a long query string reaches
# the app, whose parameter validation answers 400 in the API's error shape, instead of gunicorn's
# plain-text 414 at 4 KiB, which the API does not document.
limit_request_line = 0
wsgi_app = "leadvibe.wsgi:application"


def on_starting(server):
    if os.environ.get("LEADVIBE_KEEP_METRICS") != "1":
        reset_metrics_dir()


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
