"""The audit log as an OU Owner reads it."""

import pytest

from leadvibe.audit import audit_log_flush
from leadvibe.models import AuditLogEntry
from tests.api_clients import jwt_client_for
from tests.factories import make_member, make_membership, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client():
    unit = make_unit()
    owner = make_member(unit.org, email="owner@acme.test")
    make_membership(unit, owner, "Owner")
    return jwt_client_for(owner, unit), unit


def test_requests_show_up_in_the_audit_log_with_filters(owner_client):
    client, unit = owner_client
    client.get("/api/v1/secrets")
    client.post("/api/v1/secrets", {"name": ""}, format="json")
    client.get("/api/v1/secrets?x=secret-in-query")
    assert audit_log_flush() == 3

    body = client.get("/api/v1/admin/audit-logs").json()
    assert (body["limit"], body["offset"]) == (100, 0)
    assert [(e["method"], e["status"]) for e in body["items"]] == [
        ("GET", 200),
        ("POST", 400),
        ("GET", 200),
    ]
    first = body["items"][0]
    assert first["user_email"] == "owner@acme.test"
    assert first["ou_id"] == unit.id
    assert first["path"] == "/api/v1/secrets"

    failed = client.get("/api/v1/admin/audit-logs?status_min=400").json()["items"]
    assert [e["status"] for e in failed] == [400]
    posts = client.get("/api/v1/admin/audit-logs?method=POST&sort_order=ASC").json()["items"]
    assert [e["method"] for e in posts] == ["POST"]
    paged = client.get("/api/v1/admin/audit-logs?limit=1&offset=1").json()["items"]
    assert [e["status"] for e in paged] == [400]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=501", "offset=-1", "sort_by=secret", "sort_order=sideways", "method=TRACE"],
)
def test_bad_audit_log_queries_are_400(owner_client, query):
    client, _ = owner_client
    response = client.get(f"/api/v1/admin/audit-logs?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["details"]


def test_viewers_cannot_read_the_audit_log(viewer_client):
    assert viewer_client.get("/api/v1/admin/audit-logs").status_code == 403


def test_requests_made_while_redis_is_down_show_up_in_the_audit_log(
    owner_client, unreachable_redis
):
    client, unit = owner_client
    assert client.get("/api/v1/secrets").status_code == 200
    hostile = client.get("/api/v1/secrets/%00%ff")
    assert hostile.status_code < 500

    items = client.get("/api/v1/admin/audit-logs?sort_order=asc").json()["items"]
    assert [(e["method"], e["path"], e["status"]) for e in items] == [
        ("GET", "/api/v1/secrets", 200)
    ]
    assert {(e["user_email"], e["ou_id"]) for e in items} == {("owner@acme.test", unit.id)}
    # Refused at the edge before anyone was authenticated: stored, though in no OU's log.
    refused = AuditLogEntry.objects.get(path="/api/v1/secrets/%00%FF")
    assert (refused.status, refused.unit_id) == (hostile.status_code, None)
