"""The process-wide Redis client of the application code (connection pool), guarded by a
circuit breaker.

Redis is a doorbell, a cache and a counter here, never the only home of anything, so a slow or
dead Redis must cost a request milliseconds, not seconds. Rules:
- short timeouts (`REDIS_SOCKET_TIMEOUT`, tens of milliseconds) and no retries;
- one circuit breaker per process: a call that cannot reach Redis (connection error, timeout)
  opens it, and from then on every call raises `RedisUnavailableError` at once, without
  touching the network, for `REDIS_BREAKER_COOLDOWN_SECONDS`; then a single call goes through
  as a probe: its success closes the breaker, its failure opens it for another cool-down.
  `RedisUnavailableError` is a `redis.exceptions.ConnectionError`, so every caller's existing
  `except RedisError` fallback applies unchanged. A reply from Redis, an error reply included,
  counts as success;
- a command that timed out may still run once Redis wakes up (it was sent): callers only send
  commands that are harmless to run late or twice, or handle that themselves.

Celery's broker connections, the Django cache and the live stream's subscriptions are not on
a request's path: they have their own clients and the longer `REDIS_BACKGROUND_SOCKET_TIMEOUT`.
"""

import threading
import time
from functools import cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.retry import Retry


class RedisUnavailableError(redis.exceptions.ConnectionError):
    """Raised without a network call while the circuit breaker is open."""


_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class CircuitBreaker:
    # Not pybreaker: it holds its lock while the guarded call runs, which would queue every
    # thread of a web process behind one (possibly stalled) Redis round trip. This one holds
    # its lock only to read or change its state.

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None while closed
        self._probing = False

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def call(self, operation, *args, **kwargs):
        with self._lock:
            if self._open_until is not None:
                if self._probing or time.monotonic() < self._open_until:
                    raise RedisUnavailableError("Redis unavailable (circuit breaker open)")
                self._probing = True
        reached = False
        try:
            result = operation(*args, **kwargs)
            reached = True
            return result
        except _UNREACHABLE:
            raise
        except Exception:
            reached = True  # Redis answered, with an error
            raise
        finally:
            with self._lock:
                self._probing = False
                self._open_until = (
                    None if reached else time.monotonic() + settings.REDIS_BREAKER_COOLDOWN_SECONDS
                )

    def reset(self) -> None:
        """Close the breaker now (tests; an operator's shell after fixing Redis)."""
        with self._lock:
            self._open_until = None
            self._probing = False


breaker = CircuitBreaker()


class _GuardedPipeline(Pipeline):
    def execute(self, raise_on_error: bool = True):
        return breaker.call(super().execute, raise_on_error)


class _GuardedRedis(redis.Redis):
    def execute_command(self, *args, **options):
        return breaker.call(super().execute_command, *args, **options)

    def pipeline(self, transaction=True, shard_hint=None) -> Pipeline:
        return _GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


@cache
def get_redis() -> redis.Redis:
    return _GuardedRedis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        # The breaker, not a retry after a backoff, decides when to try again.
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )
