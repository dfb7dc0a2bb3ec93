"""Every route of the URL conf, walked with hostile path and query values by an authenticated
caller: never a 5xx, and every 4xx in the API's error shape. Bytes no view can use (NUL, not
UTF-8, broken percent-escapes) are refused with 400 at the edge; JSON nested too deeply with
400 by the one JSON parser.

Path values replace each path parameter of a route; query values are sent to every route.
"""

import json

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from leadvibe.json_depth import MAX_JSON_DEPTH
from scoring.services.leads import lead_create
from tests.api_clients import basic_client_for, token_for
from tests.factories import make_credential, make_member, make_membership, make_org, make_unit
from tests.scoring.test_imports import csv_bytes, imported
from tests.security.test_tenancy_matrix import ALL_ROUTES, methods_of

HOSTILE_PATH_VALUES = {
    "nul": "%00",
    "invalid-utf8": "%ff",
    "overlong-utf8": "%c0%80",
    "control": "x%01y",
    "very-long": "a" * 5000,
}
HOSTILE_QUERIES = {
    "nul": "x=%00",
    "nul-metadata": "metadata=k:%00",
    "nul-page": "page=%00",
    "invalid-utf8": "metadata=k:%ff",
    "invalid-escape": "page=%zz",
    "control-metadata": "metadata=k:%01",
    "huge-page": "page=99999999999999999999&limit=99999999999999999999",
}
BODY_METHODS = ("post", "put", "patch")


@pytest.fixture
def member_and_unit(db):
    """The strongest caller there is: an org admin and Owner of its OU, in an org with ABM."""
    org = make_org()
    org.abm_enabled = True
    org.save()
    unit = make_unit(org)
    member = make_member(org, role="admin")
    make_membership(unit, member, "Owner")
    make_credential(unit)
    return member, unit


@pytest.fixture
def hostile_caller(member_and_unit) -> APIClient:
    member, unit = member_and_unit
    client = APIClient(raise_request_exception=False)  # a crash is a 500 to report, not raise
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(member)}", HTTP_X_OU_ID=unit.id)
    return client


def _send(client: APIClient, method: str, url: str, body: str = "{}"):
    """One request, whose writes (and database errors) are rolled back, so that each request
    meets the same data."""
    savepoint = transaction.savepoint()
    if method in BODY_METHODS:
        response = getattr(client, method)(url, data=body, content_type="application/json")
    else:
        response = getattr(client, method)(url)
    transaction.savepoint_rollback(savepoint)
    return response


def _problem(method: str, url: str, response) -> str | None:
    """What is wrong with the answer, if anything. Successful streams are not read (the live
    stream never ends; closing one outside the client would close the test's connection)."""
    where = f"{method.upper()} {url[:120]} → {response.status_code}"
    if response.status_code >= 500:
        return where
    if response.status_code >= 400:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        try:
            body = json.loads(content)
        except ValueError:
            return f"{where}: not JSON"
        if not _is_error_shape(body, response.status_code):
            return f"{where}: not the error shape: {body!r:.200}"
    return None


def _is_error_shape(body, status: int) -> bool:
    return isinstance(body, dict) and body.get("status") == status and bool(body.get("error"))


def _parameters(pattern: str) -> list[str]:
    return [f"<{part.split('>')[0]}>" for part in pattern.split("<")[1:]]


def _with_parameters(pattern: str, value: str) -> str:
    path = "/" + pattern
    for parameter in _parameters(pattern):
        path = path.replace(parameter, value)
    return path


ROUTES_WITH_PARAMETERS = [route for route in ALL_ROUTES if _parameters(route[1])]
# (routes, the value of each path parameter, the query string): a hostile path value in every
# route that has a parameter, a hostile query string on every route.
HOSTILE_REQUESTS = [
    *(
        pytest.param(ROUTES_WITH_PARAMETERS, value, "", id=f"path-{name}")
        for name, value in HOSTILE_PATH_VALUES.items()
    ),
    *(
        pytest.param(ALL_ROUTES, "unknown", f"?{query}", id=f"query-{name}")
        for name, query in HOSTILE_QUERIES.items()
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("routes", "path_value", "query"), HOSTILE_REQUESTS)
def test_hostile_path_and_query_values_never_answer_5xx(routes, path_value, query, hostile_caller):
    problems = [
        _problem(method, url, _send(hostile_caller, method, url))
        for _, pattern, callback in routes
        for url in [_with_parameters(pattern, path_value) + query]
        for method in methods_of(callback)
    ]
    problems = [problem for problem in problems if problem]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "error", "details"),
    [
        ("/api/v1/leads/%00", "Invalid path: it contains a NUL character", None),
        ("/api/v1/leads/%c0%80", "Invalid path: it is not valid UTF-8", None),
        ("/api/v1/leads/%ff", "Invalid path: it is not valid UTF-8", None),
        (
            "/api/v1/events?metadata=k:%00&limit=2",
            "Invalid query string: it contains a NUL character",
            {"metadata": ["Must not contain a NUL character."]},
        ),
        (
            "/api/v1/events/export?metadata=k:%00&lead%00id=a",
            "Invalid query string: it contains a NUL character",
            {
                "metadata": ["Must not contain a NUL character."],
                "lead\\0id": ["Must not contain a NUL character."],
            },
        ),
        ("/api/v1/events?metadata=k:%ff", "Invalid query string: it is not valid UTF-8", None),
        (
            "/api/v1/leads?page=%zz",
            "Invalid query string: '%' must be followed by two hexadecimal digits",
            None,
        ),
    ],
)
def test_bytes_no_view_can_use_are_refused_with_400(url, error, details, hostile_caller):
    response = hostile_caller.get(url, RAW_URI=url)  # the request target, as gunicorn passes it
    assert response.status_code == 400
    body = {"status": 400, "error": error}
    assert response.json() == (body if details is None else {**body, "details": details})


@pytest.mark.django_db
def test_a_lead_id_with_a_control_character_is_still_reachable(member_and_unit, hostile_caller):
    _, unit = member_and_unit
    lead_create(ou=unit, lead_id="tab\there", metadata={})
    response = hostile_caller.get("/api/v1/leads/tab%09here")
    assert response.status_code == 200, response.content
    assert response.json()["lead"]["id"] == "tab\there"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [100, 10_000])
@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/events"])
def test_deeply_nested_json_is_refused_with_400(path, depth, hostile_caller):
    body = '{"email": "a@example.com", "password": "x", "metadata": %s}' % _nested(depth)  # noqa: UP031
    response = _send(hostile_caller, "post", path, body)
    assert response.status_code == 400, response.content
    assert response.json() == {
        "status": 400,
        "error": f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels",
    }


@pytest.mark.django_db
def test_json_nested_up_to_the_limit_is_accepted(member_and_unit, hostile_caller):
    lead_create(ou=member_and_unit[1], lead_id="deep", metadata={})

    def event_with_depth(depth: int) -> str:
        levels = depth - 1  # the event object is the first level
        metadata = '{"k": ' * (levels - 1) + "{}" + "}" * (levels - 1)
        return '{"event_type": "visit", "lead_id": "deep", "metadata": %s}' % metadata  # noqa: UP031

    at_limit = _send(hostile_caller, "post", "/api/v1/events", event_with_depth(MAX_JSON_DEPTH))
    assert at_limit.status_code == 202, at_limit.content
    beyond = _send(hostile_caller, "post", "/api/v1/events", event_with_depth(MAX_JSON_DEPTH + 1))
    assert beyond.status_code == 400, beyond.content


@pytest.mark.django_db
def test_csv_metadata_nested_too_deeply_is_a_row_error(member_and_unit, settings, tmp_path):
    settings.IMPORT_STORAGE_DIR = tmp_path / "imports"
    issued = make_credential(member_and_unit[1])
    for lead_id in ("deep-100", "deep-10000", "shallow"):
        lead_create(ou=member_and_unit[1], lead_id=lead_id, metadata={})
    rows = [
        ["visit", "deep-100", json.dumps({"k": json.loads(_nested(100))})],
        ["visit", "deep-10000", '{"k": %s}' % _nested(10_000)],  # noqa: UP031
        ["visit", "shallow", '{"k": [[1]]}'],
    ]
    job = imported(
        basic_client_for(issued), csv_bytes(rows, header=["event_type", "lead_id", "metadata"])
    )
    assert job["status"] == "completed"
    message = f"Not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels."
    assert [(e["row"], e["column"], e["message"]) for e in job["errors"]] == [
        (2, "metadata", message),
        (3, "metadata", message),
    ]
