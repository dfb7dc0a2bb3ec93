import pytest
from rest_framework.test import APIClient

pytest_plugins = ["tests.fakes.slack", "tests.fakes.smtp", "tests.fakes.webhooks"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _empty_redis():
    """Every test starts with an empty Redis (rate-limit buckets, queues), as it does with an
    empty database."""
    from leadvibe.redis_client import breaker, get_redis

    breaker.reset()
    get_redis().flushdb()


@pytest.fixture(autouse=True)
def _forget_verified_credentials():
    from orgunits.services import verified_credentials

    verified_credentials.clear()


@pytest.fixture
def unreachable_redis(settings):
    """Redis as seen when its server is down: the URL names a port nobody listens on."""
    from leadvibe.embedded import free_port
    from leadvibe.redis_client import breaker, get_redis

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    get_redis.cache_clear()
    yield
    get_redis.cache_clear()
    breaker.reset()
