import pytest
from rest_framework.test import APIClient


@pytest.fixture
def client(basic_client) -> APIClient:
    """The OU's Basic-auth client (the way ingestion is called), under the name the scoring
    and trigger tests use."""
    return basic_client


@pytest.fixture
def abm(ou):
    """The OU's organization has account-based marketing (`abm_enabled`)."""
    ou.org.abm_enabled = True
    ou.org.save(update_fields=["abm_enabled"])
