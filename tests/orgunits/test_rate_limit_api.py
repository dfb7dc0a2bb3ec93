"""Rate limits as API callers meet them."""

import pytest

from tests.api_clients import basic_authorization, credential_authorization, token_for
from tests.factories import make_credential

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orgunits.urls_for_tests")]


@pytest.fixture
def client_with_policy(api_client):
    def build(mode: str, burst: int = 5, rps: float = 0.01):
        issued = make_credential()
        org = issued.credential.org
        org.rate_limit_mode, org.rate_limit_burst, org.rate_limit_rps = mode, burst, rps
        org.save()
        api_client.credentials(HTTP_AUTHORIZATION=credential_authorization(issued))
        return api_client

    return build


def test_enforce_mode_refuses_the_sixth_immediate_request(client_with_policy):
    client = client_with_policy("enforce", burst=5)
    remaining = []
    for _ in range(5):
        response = client.get("/api/v1/_test/whoami")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "5"
        remaining.append(int(response["X-RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]

    refused = client.get("/api/v1/_test/whoami")
    assert refused.status_code == 429
    assert refused.json()["status"] == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused["X-RateLimit-Remaining"] == "0"
    assert "RateLimit" in refused
    assert "RateLimit-Policy" in refused


def test_observe_mode_never_refuses(client_with_policy):
    client = client_with_policy("observe", burst=2)
    statuses = {client.get("/api/v1/_test/whoami").status_code for _ in range(6)}
    assert statuses == {200}


def test_off_mode_sends_no_rate_limit_headers(client_with_policy):
    response = client_with_policy("off").get("/api/v1/_test/whoami")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response


def test_requests_still_succeed_when_redis_is_down(client_with_policy, unreachable_redis):
    client = client_with_policy("enforce", burst=1)
    assert [client.get("/api/v1/_test/whoami").status_code for _ in range(3)] == [200] * 3


def test_login_attempts_are_throttled_per_address(api_client):
    statuses = [
        api_client.post(
            "/api/v1/auth/login", {"email": "x@y.test", "password": "nope"}, format="json"
        ).status_code
        for _ in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def test_me_rate_limit_reports_the_policy(api_client):
    from tests.factories import make_member

    member = make_member()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(member)}")
    body = api_client.get("/api/v1/me/rate-limit").json()
    assert body["mode"] == "enforce"
    assert body["key_by"] == "org"
    assert body["key"] == f"rl:org:{member.org_id}"
    assert body["stage"] == "default"
    assert body["enabled"] is True


def test_failed_authentication_spends_the_address_bucket(api_client, settings):
    settings.RATE_LIMIT_BURST, settings.RATE_LIMIT_RPS = 3, 0.01
    api_client.credentials(HTTP_AUTHORIZATION=basic_authorization("x", "y"))
    responses = [api_client.get("/api/v1/_test/whoami") for _ in range(4)]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert [r["X-RateLimit-Remaining"] for r in responses[:3]] == ["2", "1", "0"]
    assert int(responses[3]["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("get", "/api/v1/nope", {}),
        ("get", "/api/v1/nope", {"HTTP_AUTHORIZATION": "Bearer not-a-token"}),
        ("post", "/api/v1/auth/refresh", {}),
        ("post", "/api/v1/auth/cleanup", {}),
        ("get", "/api/v1/_test/whoami", {}),
        ("get", "/api/v1/schema", {}),
    ],
)
def test_every_api_response_carries_rate_limit_headers(api_client, method, path, headers):
    response = getattr(api_client, method)(path, **headers)
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit"):
        assert name in response, f"{name} missing on {method.upper()} {path}"


def test_callers_without_credentials_are_limited_per_address(api_client, settings):
    settings.RATE_LIMIT_BURST, settings.RATE_LIMIT_RPS = 2, 0.01
    responses = [api_client.get("/api/v1/nope") for _ in range(3)]
    assert [r.status_code for r in responses] == [404, 404, 429]
    assert responses[2].json()["status"] == 429
    assert int(responses[2]["Retry-After"]) >= 1


def test_health_and_metrics_are_not_rate_limited(api_client):
    assert "X-RateLimit-Limit" not in api_client.get("/healthz")
