"""Readiness of the services the engine depends on."""

import logging

from django.db import connection
from redis.exceptions import RedisError

from leadvibe.redis_client import get_redis

logger = logging.getLogger(__name__)


def service_checks() -> dict[str, str]:
    """`{"postgres": "ok" | "unavailable", "redis": ...}`; never raises."""
    return {"postgres": _check_postgres(), "redis": _check_redis()}


def _check_postgres() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver or connection error means "not ready"
        logger.warning("postgres unavailable", extra={"error": str(exc)})
        connection.close_if_unusable_or_obsolete()
        return "unavailable"
    return "ok"


def _check_redis() -> str:
    try:
        get_redis().ping()
    except (RedisError, OSError) as exc:
        logger.warning("redis unavailable", extra={"error": str(exc)})
        return "unavailable"
    return "ok"
