import pytest
from rest_framework.test import APIClient

from tests.api_clients import basic_client_for, member_client_for
from tests.factories import make_credential

pytest_plugins = ["tests.fakes.slack", "tests.fakes.smtp", "tests.fakes.webhooks"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def issued():
    """An API credential of a new OU (in a new organization)."""
    return make_credential()


@pytest.fixture
def ou(issued):
    return issued.credential.unit


@pytest.fixture
def basic_client(issued) -> APIClient:
    return basic_client_for(issued)


@pytest.fixture
def other_client() -> APIClient:
    """A Basic-auth client of an OU of another organization."""
    return basic_client_for(make_credential())


@pytest.fixture
def member_client(ou) -> APIClient:
    """An Operator of `ou`."""
    return member_client_for(ou)


@pytest.fixture
def viewer_client(ou) -> APIClient:
    return member_client_for(ou, role="Viewer")


@pytest.fixture
def admin_client(ou) -> APIClient:
    """An admin of `ou`'s organization (replaces pytest-django's fixture of the same name)."""
    return member_client_for(ou, org_role="admin")


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
