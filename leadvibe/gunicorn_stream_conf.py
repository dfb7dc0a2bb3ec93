"""Gunicorn settings for the live-stream process (`gunicorn -c leadvibe/gunicorn_stream_conf.py`).

The ASGI application on uvicorn workers: each worker holds all its open streams on one event
loop. Production routes `/api/v1/stream` here and every other path to the web process. The
web process owns the metrics folder (it wipes it at start), so this one only writes to it.
"""

import os

from leadvibe.metrics_dir import configure_metrics_dir

configure_metrics_dir()

from prometheus_client import multiprocess  # noqa: E402 - needs the folder configured first

bind = os.environ.get("STREAM_BIND", f"0.0.0.0:{os.environ.get('STREAM_PORT', '8001')}")
workers = int(os.environ.get("STREAM_CONCURRENCY", "1"))
worker_class = "uvicorn_worker.UvicornWorker"
wsgi_app = "leadvibe.asgi:application"
# Streams never end by themselves: a restart gives them this long, then closes them (their
# clients reconnect to the new workers).
graceful_timeout = 5
accesslog = None  # the app writes one JSON line per request


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
