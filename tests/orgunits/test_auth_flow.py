"""A new user's way in: log in, pick an OU, make a credential, use it, revoke it."""

import logging

import pytest

from scoring.models import EngagementEvent
from tests.api_clients import basic_authorization, log_in
from tests.factories import make_member, make_membership, make_unit

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orgunits.urls_for_tests")]

PASSWORD = "correct horse battery"


def login(api_client, email: str) -> str:
    response = log_in(api_client, email=email, password=PASSWORD)
    assert response.status_code == 200, response.content
    return response.json()["access"]


def test_login_activate_create_use_and_revoke_a_credential(api_client, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    unit = make_unit(name="Marketing")
    owner = make_member(unit.org, email="owner@acme.test", password=PASSWORD, role="member")
    make_membership(unit, owner, "Owner")

    access = login(api_client, "owner@acme.test")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    me = api_client.get("/api/v1/auth/me").json()
    assert (me["email"], me["org_member_id"]) == ("owner@acme.test", owner.id)

    listing = api_client.get("/api/v1/org-units").json()
    assert [u["unit_id"] for u in listing["units"]] == [unit.id]
    assert listing["units"][0]["role"] == "Owner"
    assert listing["organization"]["org_id"] == unit.org_id

    assert api_client.get("/api/v1/secrets").json() == {"status": 400, "error": "No active OU"}
    activated = api_client.post("/api/v1/org-units/active", {"ouId": unit.id}, format="json")
    assert activated.status_code == 200
    cookie = activated.cookies["activeOu"]
    assert cookie.value == unit.id
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"

    created = api_client.post("/api/v1/secrets", {"name": "ingest"}, format="json")
    assert created.status_code == 201
    assert created["X-OU-ID"] == unit.id
    assert created["X-Org-ID"] == unit.org_id
    secret = created.json()
    listed = api_client.get("/api/v1/secrets").json()
    assert [c["client_id"] for c in listed] == [secret["client_id"]]
    assert "client_secret" not in listed[0]

    api_client.credentials(
        HTTP_AUTHORIZATION=basic_authorization(secret["client_id"], secret["client_secret"])
    )
    api_client.cookies.clear()
    event = {
        "event_type": "page_view",
        "aliases": [{"alias_kind": "email", "raw_value": "x@y.test"}],
    }
    ingested = api_client.post("/api/v1/events", event, format="json")
    assert ingested.status_code == 202
    assert ingested["X-OU-ID"] == unit.id
    assert EngagementEvent.objects.unscoped().get().unit_id == unit.id

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_X_OU_ID=unit.id)
    revoked = api_client.delete(f"/api/v1/secrets/{secret['secret_id']}")
    assert revoked.status_code == 204

    api_client.credentials(
        HTTP_AUTHORIZATION=basic_authorization(secret["client_id"], secret["client_secret"])
    )
    refused = api_client.post("/api/v1/events", event, format="json")
    assert refused.status_code == 401
    assert EngagementEvent.objects.unscoped().count() == 1
    assert refused.json()["status"] == 401

    logged = caplog.text + capsys.readouterr().out
    assert "request finished" in logged
    assert secret["client_secret"] not in logged
    assert PASSWORD not in logged


def test_wrong_secret_and_garbage_basic_headers_are_401(api_client):
    from tests.factories import make_credential

    issued = make_credential()
    for header in (
        basic_authorization(issued.credential.client_id, "wrong"),
        basic_authorization("nobody", issued.client_secret),
        "Basic !!!not-base64!!!",
        "Basic",
    ):
        api_client.credentials(HTTP_AUTHORIZATION=header)
        response = api_client.get("/api/v1/_test/whoami")
        assert response.status_code == 401, header
        assert response.json()["status"] == 401


def test_no_credentials_is_401(api_client):
    response = api_client.get("/api/v1/_test/whoami")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response


def test_jwt_only_routes_refuse_basic_with_403(basic_client):
    for path in ("/api/v1/auth/me", "/api/v1/org-units", "/api/v1/secrets"):
        assert basic_client.get(path).status_code == 403, path


def test_refresh_rotates_the_refresh_token(api_client):
    make_member(email="ann@acme.test", password=PASSWORD)
    pair = log_in(api_client, email="ann@acme.test", password=PASSWORD).json()
    refreshed = api_client.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}, format="json")
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"access", "refresh"}


def test_cleanup_expires_residual_cookies(api_client):
    api_client.cookies["activeOu"] = "ou_x"
    response = api_client.post("/api/v1/auth/cleanup")
    assert response.status_code == 200
    assert response.cookies["activeOu"]["max-age"] == 0
