"""Pagination envelopes, RFC 3339 times, request ids, root pages, schema and docs."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.platform.urls_for_tests")]


def test_envelope_pagination(api_client):
    body = api_client.get("/api/v1/_test/envelope?page=3&limit=50").json()
    assert body["total"] == 123
    assert (body["page"], body["limit"]) == (3, 50)
    assert [item["n"] for item in body["items"]] == list(range(101, 124))


def test_envelope_pagination_defaults(api_client):
    body = api_client.get("/api/v1/_test/envelope").json()
    assert (body["page"], body["limit"], len(body["items"])) == (1, 50, 50)


def test_bare_list_pagination_carries_total_header(api_client):
    response = api_client.get("/api/v1/_test/bare?limit=10&page=2")
    assert [item["n"] for item in response.json()] == list(range(11, 21))
    assert response["X-Total-Count"] == "123"


@pytest.mark.parametrize("query", ["page=0", "limit=0", "limit=501", "page=abc", "limit=-1"])
def test_out_of_range_paging_is_400(api_client, query):
    response = api_client.get(f"/api/v1/_test/envelope?{query}")
    assert response.status_code == 400
    key = query.split("=")[0]
    assert key in response.json()["details"]


def test_datetimes_are_returned_in_utc_rfc3339(api_client):
    response = api_client.post(
        "/api/v1/_test/time", {"at": "2025-08-15T14:00:00+02:00"}, format="json"
    )
    assert response.json() == {"at": "2025-08-15T12:00:00Z"}


@pytest.mark.parametrize("value", ["2025-08-15T12:00:00", "yesterday", 17])
def test_timestamps_without_offset_are_rejected(api_client, value):
    response = api_client.post("/api/v1/_test/time", {"at": value}, format="json")
    assert response.status_code == 400
    assert "at" in response.json()["details"]


def test_every_response_has_a_request_id(api_client):
    generated = api_client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert api_client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    unsafe = api_client.get("/healthz", HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"]
    assert unsafe != "bad id\n"
    assert len(unsafe) == 32


def test_root_and_home_answer_json_for_api_clients(api_client):
    assert api_client.get("/").json() == {"status": "ok"}
    assert api_client.get("/home").json() == {"status": "ok", "page": "home"}


def test_root_and_home_send_browsers_to_the_admin_app(api_client):
    for path in ("/", "/home"):
        response = api_client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")
        assert response.status_code == 302
        assert response["Location"] == "/app/"
