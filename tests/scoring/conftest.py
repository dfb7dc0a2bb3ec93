import pytest
from rest_framework.test import APIClient


@pytest.fixture
def client(basic_client) -> APIClient:
    """The OU's Basic-auth client (the way ingestion is called), under the name the scoring
    and trigger tests use."""
    return basic_client
