"""Property-based fuzzing of the Events, Leads and Orders routes and of the scoring
configuration routes with schemathesis, in process.

Every operation of those routes gets generated requests (valid and invalid) signed with a
real API credential (the configuration routes: an org admin's JWT, since some take no
other). A response must never be a 5xx and must agree with the OpenAPI document:
documented status code, content type and body schema.
"""

import base64
import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, assume, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scoring.api.lead_views import RESERVED_LEAD_IDS
from tests.factories import make_credential, make_member

FUZZED_PATHS = r"^/api/v1/(events|leads|orders)"
CONFIG_PATHS = r"^/api/v1/(rulesets|rules|decays|filters|levels|settings/(scoring|ou|event-types))"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _openapi_document() -> dict:
    """The document the API serves at /api/v1/schema, built without a request so that it can be
    loaded while tests are collected (before any database is available)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


document = _openapi_document()
schema = schemathesis.openapi.from_dict(document).include(path_regex=FUZZED_PATHS)
schema.app = get_wsgi_application()
config_schema = schemathesis.openapi.from_dict(document).include(path_regex=CONFIG_PATHS)
config_schema.app = schema.app


@pytest.fixture
def connection_kept_across_requests():
    """The WSGI handler closes the database connection when a request ends, which would end the
    test's transaction; Django's own test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def basic_auth(connection_kept_across_requests) -> dict[str, str]:
    issued = make_credential()
    token = f"{issued.credential.client_id}:{issued.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(token).decode()}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_events_and_leads_routes_answer_as_documented(case, basic_auth):
    # `/leads/merge` is the merge route, not lead "merge": such ids cannot be created.
    assume((case.path_parameters or {}).get("lead_id") not in RESERVED_LEAD_IDS)
    case.call_and_validate(headers=basic_auth, checks=CHECKS)


@pytest.fixture
def admin_jwt(connection_kept_across_requests) -> dict[str, str]:
    unit = make_credential().credential.unit
    unit.org.abm_enabled = True  # account levels answer only with ABM
    unit.org.save()
    token = RefreshToken.for_user(make_member(unit.org, role="admin")).access_token
    return {"Authorization": f"Bearer {token}", "X-OU-ID": unit.id}


@pytest.mark.django_db
@config_schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_scoring_configuration_routes_answer_as_documented(case, admin_jwt):
    case.call_and_validate(headers=admin_jwt, checks=CHECKS)
