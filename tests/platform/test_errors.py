"""Every error leaves the API as JSON in one format, whoever raises it."""

import pytest
from django.test import override_settings

from tests.api_clients import log_in
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TEST_URLS = "tests.platform.urls_for_tests"


def assert_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["error"], str)
    assert body["error"]
    return body


def test_unknown_api_path_is_404_json(api_client):
    body = assert_error(api_client.get("/api/v1/nope"), 404)
    assert body == {"status": 404, "error": "Not Found"}


def test_unknown_path_outside_the_api_is_404_json(api_client):
    assert_error(api_client.get("/no/such/page", HTTP_ACCEPT="text/html"), 404)


def test_malformed_json_body_is_400_json(api_client):
    response = api_client.post(
        "/api/v1/auth/login", data='{"email": "a@b.co", ', content_type="application/json"
    )
    body = assert_error(response, 400)
    assert "JSON parse error" in body["error"]


def test_validation_errors_list_each_field(api_client):
    body = assert_error(api_client.post("/api/v1/auth/login", {}, format="json"), 400)
    assert set(body["details"]) == {"email", "password"}
    assert all(isinstance(message, str) for message in body["details"]["email"])


def test_oversized_body_is_413_json_and_is_not_read(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    response = api_client.post(
        "/api/v1/auth/login", data="x" * 2048, content_type="application/json"
    )
    body = assert_error(response, 413)
    assert "1024" in body["error"]


def test_default_body_limit_rejects_an_11_megabyte_upload(api_client):
    response = api_client.post(
        "/api/v1/auth/login",
        data=b"{" + b" " * (11 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert_error(response, 413)


def test_wrong_method_on_api_route_is_405_json_with_allow(api_client):
    response = api_client.get("/api/v1/auth/login")
    assert_error(response, 405)
    assert "POST" in response["Allow"]


def test_wrong_method_on_plain_django_view_is_405_json(api_client):
    response = api_client.post("/healthz")
    assert_error(response, 405)
    assert response["Allow"] == "GET"


@override_settings(ROOT_URLCONF=TEST_URLS)
@pytest.mark.parametrize("path", ["/api/v1/_test/crash", "/api/v1/_test/plain-crash"])
@pytest.mark.parametrize("debug", [False, True])
def test_a_crash_is_500_json_never_an_html_page(path, debug, settings):
    from django.test import Client

    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    body = assert_error(client.get(path, HTTP_ACCEPT="text/html"), 500)
    assert body == {"status": 500, "error": "Internal Server Error"}


def test_login_with_wrong_password_is_401_json(api_client):
    make_member(email="ann@example.com", password="right-password")
    assert_error(log_in(api_client, email="ann@example.com", password="wrong"), 401)


def test_login_returns_jwt_pair(api_client):
    make_member(email="ann@example.com", password="right-password")
    response = log_in(api_client, email="ann@example.com", password="right-password")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
