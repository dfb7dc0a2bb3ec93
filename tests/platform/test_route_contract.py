"""The route contract (`../shared/api-routes.md`, beside the repository as in CI) is served:
every (method, path) of its tables resolves in the URL conf to a view that answers that
method. The tables are parsed here, so a route added to the contract fails this test until it
is built."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

CONTRACT = Path(__file__).resolve().parents[2].parent / "shared" / "api-routes.md"
# A table row: `| GET, POST | `/a` · `/b` | what it does |`.
_ROW = re.compile(r"^\|\s*([A-Z]+(?:\s*,\s*[A-Z]+)*)\s*\|(.+?)\|")
_PATH = re.compile(r"`(/[^`]*)`")
_PARAMETER = re.compile(r"\{[^}/]+\}")
# What the contract's placeholders stand for in a concrete URL: any path parameter, and the
# client-side paths of the admin app (`/app/…`).
SAMPLE_PARAMETER = "1"
SAMPLE_CLIENT_PATH = "leads/1"


def contract_operations(text: str) -> list[tuple[str, str]]:
    """(method, path) of every table row, paths as the contract writes them (query strings
    dropped); a row's `,`-separated methods and `,`/`·`-separated paths multiply out. Routes
    are under the API prefix except in the sections marked "no prefix"."""
    operations = []
    prefix = "/" + settings.API_PREFIX.rstrip("/")
    for line in text.splitlines():
        if line.startswith("## "):
            prefix = "" if "no prefix" in line else "/" + settings.API_PREFIX.rstrip("/")
            continue
        row = _ROW.match(line)
        if row is None:
            continue
        methods = [method.strip() for method in row.group(1).split(",")]
        for path in _PATH.findall(row.group(2)):
            full_path = prefix + path.split("?", 1)[0]
            operations += [(method, full_path) for method in methods]
    return operations


def is_served(method: str, path: str) -> bool:
    concrete = _PARAMETER.sub(SAMPLE_PARAMETER, path).replace("…", SAMPLE_CLIENT_PATH)
    try:
        match = resolve(concrete)
    except Resolver404:
        return False
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    if view_class is None:  # a plain function view: GET
        return method == "GET"
    return hasattr(view_class, method.lower())


@pytest.fixture(scope="module")
def operations() -> list[tuple[str, str]]:
    if not CONTRACT.is_file():
        pytest.fail(f"The route contract is not beside the repository: {CONTRACT}")
    return contract_operations(CONTRACT.read_text(encoding="utf-8"))


def test_the_contract_is_read_whole(operations):
    # Every table and every kind of row: methods, `·` alternatives, parameters, query strings.
    assert len(operations) >= 185
    assert ("GET", "/metrics") in operations
    assert ("PUT", "/api/v1/levels/account/{id}") in operations
    assert ("DELETE", "/api/v1/rulesets/{id}/drafts/{draftId}") in operations
    assert ("GET", "/api/v1/leads/search") in operations
    assert ("GET", "/readyz") in operations


# Operations of the contract whose issue is still open, by issue. The list only shrinks: an
# operation built must leave it (the test below fails while it is listed), and one missing
# that is not listed fails as unserved.
NOT_BUILT_YET = {
    "issue 18 (ruleset drafts and backtests)": [
        "GET /api/v1/rulesets/{id}/drafts",
        "POST /api/v1/rulesets/{id}/drafts",
        "GET /api/v1/rulesets/{id}/drafts/{draftId}",
        "PUT /api/v1/rulesets/{id}/drafts/{draftId}",
        "DELETE /api/v1/rulesets/{id}/drafts/{draftId}",
        "POST /api/v1/rulesets/{id}/drafts/{draftId}/backtest",
        "GET /api/v1/rulesets/{id}/drafts/{draftId}/backtest/{jobId}",
        "POST /api/v1/rulesets/{id}/drafts/{draftId}/publish",
        "GET /api/v1/rulesets/{id}/versions",
        "POST /api/v1/rulesets/{id}/versions/{version}/restore",
    ],
    "issue 19 (connectors)": [
        "GET /api/v1/connections",
        "POST /api/v1/connections",
        "GET /api/v1/connections/{id}",
        "PUT /api/v1/connections/{id}",
        "DELETE /api/v1/connections/{id}",
        "POST /api/v1/connections/{id}/sync",
        "GET /api/v1/connections/{id}/runs",
        "POST /api/v1/connections/{id}/preview",
    ],
}


def test_every_operation_of_the_contract_is_served(operations):
    not_built = {operation for listed in NOT_BUILT_YET.values() for operation in listed}
    missing = [
        f"{method} {path}"
        for method, path in operations
        if not is_served(method, path) and f"{method} {path}" not in not_built
    ]
    assert not missing, f"{len(missing)} operations of {CONTRACT.name} have no route:\n" + (
        "\n".join(missing)
    )


def test_the_list_of_operations_not_built_yet_only_names_unbuilt_ones(operations):
    contract = {f"{method} {path}" for method, path in operations}
    for issue, listed in NOT_BUILT_YET.items():
        for operation in listed:
            assert operation in contract, f"{operation} ({issue}) is not in the contract"
            method, path = operation.split(" ", 1)
            assert not is_served(method, path), f"{operation} is built: take it off {issue}"


def test_a_route_outside_the_url_conf_is_reported():
    assert not is_served("GET", "/api/v1/no-such-route")
    assert not is_served("DELETE", "/api/v1/events/types")
    assert is_served("GET", "/api/v1/leads/{leadID}/events")
