"""The API reads what its OpenAPI document says and nothing else: JSON bodies only (the CSV
upload excepted), strings and booleans of the declared JSON type, query parameters given with
an empty value validated like any other value, and request strings whose DRF rules (no NUL,
not only whitespace) are stated as patterns."""

import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(scope="module")
def document(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return APIClient().get(f"{API}/schema", HTTP_ACCEPT="application/json").json()


def test_a_form_body_is_refused_as_an_unsupported_media_type(basic_client):
    response = basic_client.post(f"{API}/rulesets", {"name": "Main"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["status"] == 415


def test_the_document_declares_json_bodies_only_except_the_csv_upload(document):
    media_types = {
        (method.upper(), path): set(operation["requestBody"]["content"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    assert media_types.pop(("POST", f"{API}/events/import")) == {"multipart/form-data"}
    assert media_types.pop(("PATCH", f"{API}/leads/{{lead_id}}/metadata")) == {
        "application/json",
        "application/merge-patch+json",
    }
    assert {frozenset(types) for types in media_types.values()} == {frozenset({"application/json"})}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 0}, "name"),
        ({"name": ["Main"]}, "name"),
        ({"name": "Main", "active": 0}, "active"),
        ({"name": "Main", "is_primary": "true"}, "is_primary"),
    ],
)
def test_a_body_field_of_the_wrong_json_type_is_refused(basic_client, body, field):
    response = basic_client.post(f"{API}/rulesets", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]


@pytest.mark.parametrize(
    "query", ["range=", "range=&", "sort=", "lead_id=", "start=", "trigger_id=", "metadata=x"]
)
def test_an_empty_or_malformed_query_value_is_refused_not_ignored(basic_client, query):
    path = {
        "range": "analytics",
        "sort": "leads",
        "lead_id": "orders",
        "start": "surge/events",
        "trigger_id": "triggers/deliveries",
        "metadata": "events",
    }[query.split("=")[0]]
    response = basic_client.get(f"{API}/{path}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["details"]


def test_a_repeated_query_parameter_keeps_every_value(basic_client):
    response = basic_client.get(f"{API}/events?metadata=a:1&metadata=b")
    assert response.status_code == 400
    assert response.json()["details"]["metadata"] == [
        {"1": ['Must be "key:value": a metadata key, a colon, a value.']}
    ]


def test_request_strings_state_what_is_refused_in_them(basic_client, document):
    name = document["components"]["schemas"]["RulesetInputRequest"]["properties"]["name"]
    for refused in (" \t", "Main\x00"):
        assert not re.search(name["pattern"], refused)
        response = basic_client.post(f"{API}/rulesets", {"name": refused}, format="json")
        assert response.status_code == 400
    assert re.search(name["pattern"], " Main ")
    assert (
        basic_client.post(f"{API}/rulesets", {"name": " Main "}, format="json").status_code == 201
    )


def test_event_ids_and_metadata_filters_have_their_format_in_the_document(document):
    delete = document["paths"][f"{API}/events/delete"]["post"]["requestBody"]["content"]
    ids = document["components"]["schemas"][
        delete["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]["properties"]["ids"]["items"]
    assert re.fullmatch(ids["pattern"], "ev_123")
    assert not re.search(ids["pattern"], "00")
    (metadata,) = [
        p
        for p in document["paths"][f"{API}/events"]["get"]["parameters"]
        if p["name"] == "metadata"
    ]
    pattern = metadata["schema"]["items"]["pattern"]
    assert re.search(pattern, "utm:fall")
    assert not re.search(pattern, "0")
