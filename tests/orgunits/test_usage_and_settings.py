"""Current-month usage, the organization's rate-limit settings, refresh-token reuse, cookies."""

import pytest

from leadvibe.audit import audit_log_flush
from tests.api_clients import jwt_client_for, log_in
from tests.factories import make_member, make_membership, make_unit

pytestmark = pytest.mark.django_db


def test_usage_counts_this_months_api_requests_for_org_and_ou():
    unit = make_unit(name="A")
    other_unit = make_unit(unit.org, name="B")
    admin = make_member(unit.org, role="admin")
    jwt_client_for(admin, other_unit).get("/api/v1/secrets")
    client = jwt_client_for(admin, unit)
    client.get("/api/v1/secrets")
    client.get("/api/v1/secrets")
    audit_log_flush()

    body = client.get("/api/v1/usage").json()
    assert body["org"] == {"org_id": unit.org_id, "api_requests": 3, "events_ingested": 0}
    assert body["ou"] == {"ou_id": unit.id, "api_requests": 2, "events_ingested": 0}
    assert body["period"]["start"].endswith("-01T00:00:00Z")

    without_ou = jwt_client_for(admin).get("/api/v1/usage").json()
    assert without_ou["ou"] is None


def test_usage_refuses_an_ou_the_member_does_not_belong_to():
    unit = make_unit()
    member = make_member(unit.org)
    assert jwt_client_for(member, unit).get("/api/v1/usage").status_code == 403


def test_org_admin_sets_the_rate_limit_policy():
    unit = make_unit()
    admin = make_member(unit.org, role="admin")
    make_membership(unit, admin, "Owner")
    client = jwt_client_for(admin)
    assert client.get("/api/v1/settings/rate-limit").json() == {
        "mode": None,
        "key_by": None,
        "rps": None,
        "burst": None,
    }
    policy = {"mode": "enforce", "key_by": "credential", "rps": 2.0, "burst": 10}
    assert client.put("/api/v1/settings/rate-limit", policy, format="json").json() == policy

    mine = client.get("/api/v1/me/rate-limit").json()
    assert (mine["mode"], mine["key_by"], mine["burst"], mine["stage"]) == (
        "enforce",
        "credential",
        10,
        "org",
    )
    bad = client.put("/api/v1/settings/rate-limit", {**policy, "burst": 0}, format="json")
    assert bad.status_code == 400
    assert "burst" in bad.json()["details"]


def test_members_cannot_change_the_rate_limit_policy():
    member = make_member()
    client = jwt_client_for(member)
    assert client.get("/api/v1/settings/rate-limit").status_code == 403


def test_a_used_refresh_token_cannot_be_replayed(api_client):
    make_member(email="ann@acme.test", password="long-password")
    pair = log_in(api_client, email="ann@acme.test", password="long-password").json()
    first = api_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert first.status_code == 200
    replay = api_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert replay.status_code == 401


def test_active_ou_cookie_is_secure_under_https():
    unit = make_unit()
    owner = make_member(unit.org)
    make_membership(unit, owner, "Owner")
    response = jwt_client_for(owner).post(
        "/api/v1/org-units/active", {"ouId": unit.id}, format="json", secure=True
    )
    assert response.cookies["activeOu"]["secure"] is True
