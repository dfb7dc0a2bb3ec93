"""Current-month usage, the organization's rate-limit settings, refresh-token reuse, cookies."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from leadvibe.audit import audit_log_flush
from tests.factories import make_member, make_membership, make_unit

pytestmark = pytest.mark.django_db


def bearer(api_client, member, unit=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(member).access_token}"}
    if unit is not None:
        headers["HTTP_X_OU_ID"] = unit.id
    api_client.credentials(**headers)
    return api_client


def test_usage_counts_this_months_api_requests_for_org_and_ou(api_client):
    unit = make_unit(name="A")
    other_unit = make_unit(unit.org, name="B")
    admin = make_member(unit.org, role="admin")
    bearer(api_client, admin, other_unit).get("/api/v1/secrets")
    client = bearer(api_client, admin, unit)
    client.get("/api/v1/secrets")
    client.get("/api/v1/secrets")
    audit_log_flush()

    body = client.get("/api/v1/usage").json()
    assert body["org"] == {"org_id": unit.org_id, "api_requests": 3, "events_ingested": 0}
    assert body["ou"] == {"ou_id": unit.id, "api_requests": 2, "events_ingested": 0}
    assert body["period"]["start"].endswith("-01T00:00:00Z")

    without_ou = bearer(api_client, admin).get("/api/v1/usage").json()
    assert without_ou["ou"] is None


def test_usage_refuses_an_ou_the_member_does_not_belong_to(api_client):
    unit = make_unit()
    member = make_member(unit.org)
    assert bearer(api_client, member, unit).get("/api/v1/usage").status_code == 403


def test_org_admin_sets_the_rate_limit_policy(api_client):
    unit = make_unit()
    admin = make_member(unit.org, role="admin")
    make_membership(unit, admin, "Owner")
    client = bearer(api_client, admin)
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


def test_members_cannot_change_the_rate_limit_policy(api_client):
    member = make_member()
    client = bearer(api_client, member)
    assert client.get("/api/v1/settings/rate-limit").status_code == 403


def test_a_used_refresh_token_cannot_be_replayed(api_client):
    make_member(email="ann@acme.test", password="long-password")
    pair = api_client.post(
        "/api/v1/auth/login",
        {"email": "ann@acme.test", "password": "long-password"},
        format="json",
    ).json()
    first = api_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert first.status_code == 200
    replay = api_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert replay.status_code == 401


def test_active_ou_cookie_is_secure_under_https(api_client):
    unit = make_unit()
    owner = make_member(unit.org)
    make_membership(unit, owner, "Owner")
    response = bearer(api_client, owner).post(
        "/api/v1/org-units/active", {"ouId": unit.id}, format="json", secure=True
    )
    assert response.cookies["activeOu"]["secure"] is True
