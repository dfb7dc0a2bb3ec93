import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _empty_redis():
    """Every test starts with an empty Redis (rate-limit buckets, queues), as it does with an
    empty database."""
    from leadvibe.redis_client import get_redis

    get_redis().flushdb()


@pytest.fixture(autouse=True)
def _forget_verified_credentials():
    from orgunits.services import verified_credentials

    verified_credentials.clear()
