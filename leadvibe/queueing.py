"""Sending a task to the workers when Redis (the broker) may be down.

The work itself is recorded in PostgreSQL first (a job row); sending the task only makes it
start sooner. When the broker cannot be reached the send is given up within the short Redis
timeout (Celery alone would retry for seconds) and a periodic sweep runs the job later.
"""

import logging

from celery import current_app
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from leadvibe.metrics import REDIS_UNAVAILABLE
from leadvibe.redis_client import get_redis

logger = logging.getLogger(__name__)


def send_task_or_leave_to_sweep(task_name: str, *, args: list, operation: str) -> None:
    try:
        get_redis().ping()
        current_app.signature(task_name, args=args).delay()
    except (RedisError, OSError, BrokerError) as exc:
        REDIS_UNAVAILABLE.labels(operation=operation).inc()
        logger.warning(
            "task not sent; the sweep will run it",
            extra={"task": task_name, "task_args": args, "error": str(exc)},
        )
