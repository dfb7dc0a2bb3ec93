"""Sweeps that every Celery worker runs on a timer of its own, in a thread of its main
process. They read and write only PostgreSQL, so they keep running while Redis (the broker,
which also carries beat's schedule) is down: events ingested then still get scored.

Apps register sweeps from `AppConfig.ready`; `leadvibe.celery` installs the step.
"""

import logging
import threading
from collections.abc import Callable

from celery import bootsteps
from django.conf import settings
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

_sweeps: list[tuple[str, Callable[[], object]]] = []


def register_worker_sweep(name: str, sweep: Callable[[], object]) -> None:
    _sweeps.append((name, sweep))


def run_worker_sweeps() -> None:
    for name, sweep in _sweeps:
        close_old_connections()
        try:
            sweep()
        except Exception:
            logger.exception("worker sweep failed", extra={"sweep": name})


class WorkerSweeps(bootsteps.StartStopStep):
    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, worker):
        self.thread = threading.Thread(target=self._loop, name="worker-sweeps", daemon=True)
        self.thread.start()

    def stop(self, worker):
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _loop(self):
        try:
            while not self.stopping.wait(settings.WORKER_SWEEP_SECONDS):
                run_worker_sweeps()
        finally:
            connection.close()
