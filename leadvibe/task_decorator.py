"""The one way to declare a Celery task in this project (Sentry's `instrumented_task`).

`@instrumented_task(name=..., ...)` sets in one place what every task shares: results are
ignored, the message is acknowledged after the run (a task whose worker dies is delivered
again), time limits, the queue, and two metrics, runs by outcome and duration, labelled by
the task's name. Tasks stay thin: plain ids in, one service call. Time limits default to
10 minutes soft, 11 hard; the soft one raises SoftTimeLimitExceeded inside the task (a
durable job then hands its job back for the sweep to resume, leadvibe.jobs).

The queue is declared on the task only; `task_queue_route` (CELERY_TASK_ROUTES) routes by it
also for processes that send a task by name without having imported it (the web process).
"""

import functools
import importlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

from celery import shared_task

from leadvibe.metrics import TASK_DURATION, TASK_RUNS

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_QUEUE = "celery"
# {task name: queue}, filled as task modules are imported.
_queues: dict[str, str] = {}


def instrumented_task(
    *,
    name: str,
    queue: str = DEFAULT_QUEUE,
    soft_time_limit: float = 600,
    time_limit: float = 660,
) -> Callable[[F], Any]:
    def register(run: F) -> Any:
        _queues[name] = queue

        @functools.wraps(run)
        def measured(*args: Any, **kwargs: Any) -> Any:
            started, outcome = time.monotonic(), "failed"
            try:
                result = run(*args, **kwargs)
                outcome = "succeeded"
                return result
            finally:
                TASK_RUNS.labels(task=name, outcome=outcome).inc()
                TASK_DURATION.labels(task=name).observe(time.monotonic() - started)

        # `instrumented` is our own marker option, which celery-types' overloads do not list.
        return shared_task(  # type: ignore[call-overload]
            name=name,
            soft_time_limit=soft_time_limit,
            time_limit=time_limit,
            acks_late=True,
            ignore_result=True,
            instrumented=True,
        )(measured)

    return register


def task_queue_route(name: str, *args: Any, **kwargs: Any) -> dict[str, str]:
    """Celery router: the queue the task declared. A task not yet imported in this process
    is imported from its module (our task names are `module.function`)."""
    module = name.rpartition(".")[0]
    if name not in _queues and module:
        importlib.import_module(module)
    return {"queue": _queues.get(name, DEFAULT_QUEUE)}
