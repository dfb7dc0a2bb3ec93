"""Security headers: no framing anywhere, a Content-Security-Policy on HTML pages that the docs
page lives with (no inline script), HSTS behind an HTTPS proxy, and nothing cached of a
response that carries tokens or secrets."""

import re

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.api_clients import jwt_client_for
from tests.factories import make_member, make_membership, make_org, make_unit

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password"


@pytest.fixture
def owner():
    org = make_org()
    unit = make_unit(org)
    member = make_member(org, password=PASSWORD)
    make_membership(unit, member, "Owner")
    return member, unit


@pytest.fixture
def owner_client(owner) -> APIClient:
    member, unit = owner
    return jwt_client_for(member, unit)


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_no_page_can_be_framed(api_client, accept):
    response = api_client.get("/", HTTP_ACCEPT=accept)
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/app/", "/app/leads/ld_1", "/api/v1/docs"])
def test_html_pages_carry_the_content_security_policy(api_client, path):
    response = api_client.get(path, HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_json_responses_carry_no_content_security_policy(api_client):
    assert "Content-Security-Policy" not in api_client.get("/healthz")


def test_the_docs_page_runs_under_the_policy_with_no_inline_script(api_client):
    """`script-src 'self'` runs only scripts loaded from our origin: every script of the page
    has a same-origin `src`, and each of them is served."""
    assert "script-src 'self';" in settings.CONTENT_SECURITY_POLICY
    page = api_client.get("/api/v1/docs").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)
    assert len(scripts) == 3
    for attributes, body in scripts:
        assert not body.strip(), f"inline script: {body[:80]}"
        source = re.search(r'src="([^"]+)"', attributes).group(1).replace("&amp;", "&")
        assert source.startswith("/")
        served = api_client.get(source)
        assert served.status_code == 200, source
        assert "javascript" in served["Content-Type"]
    init_script = api_client.get(re.search(r'src="(/api/v1/docs[^"]*)"', page).group(1))
    assert b"/api/v1/schema" in init_script.content


def test_hsts_is_sent_behind_an_https_proxy_only(api_client):
    secure = api_client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == f"max-age={settings.SECURE_HSTS_SECONDS}"
    assert settings.SECURE_HSTS_SECONDS >= 365 * 24 * 3600
    assert "Strict-Transport-Security" not in api_client.get("/healthz")


def test_login_and_refresh_responses_are_not_stored(api_client, owner):
    member, _ = owner
    refused = api_client.post(
        "/api/v1/auth/login", {"email": member.email, "password": "wrong"}, format="json"
    )
    assert refused.status_code == 401
    assert refused["Cache-Control"] == "no-store"
    login = api_client.post(
        "/api/v1/auth/login", {"email": member.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200
    assert login["Cache-Control"] == "no-store"
    refresh = api_client.post(
        "/api/v1/auth/refresh", {"refresh": login.json()["refresh"]}, format="json"
    )
    assert refresh.status_code == 200
    assert refresh["Cache-Control"] == "no-store"


def test_responses_with_secrets_are_not_stored(owner_client):
    me = owner_client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me["Cache-Control"] == "no-store"
    created = owner_client.post("/api/v1/secrets", {"name": "ci"}, format="json")
    assert created.status_code == 201
    assert created.json()["client_secret"]
    assert created["Cache-Control"] == "no-store"
    webhook_secret = owner_client.get("/api/v1/settings/webhook-secret")
    assert webhook_secret.status_code == 200
    assert webhook_secret.json()["secret"].startswith("whsec_")
    assert webhook_secret["Cache-Control"] == "no-store"
