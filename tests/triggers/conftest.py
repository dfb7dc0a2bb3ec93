import base64

import pytest
from rest_framework.test import APIClient

from tests.factories import make_credential


@pytest.fixture
def issued():
    return make_credential()


@pytest.fixture
def ou(issued):
    return issued.credential.unit


@pytest.fixture
def client(issued) -> APIClient:
    """An API client with Basic auth, bound to `ou`."""
    api = APIClient()
    token = f"{issued.credential.client_id}:{issued.client_secret}".encode()
    api.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(token).decode())
    return api
