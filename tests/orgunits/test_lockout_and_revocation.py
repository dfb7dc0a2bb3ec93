"""An organization cannot lock itself out with its rate-limit policy, and a revoked API
credential stops working at once in every process."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadvibe.ratelimit import RateLimitPolicy, rate_limit_check, rate_limit_key
from orgunits import services
from orgunits.services import verified_credentials
from tests.api_clients import basic_client_for, jwt_client_for
from tests.factories import make_credential, make_member, make_membership

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orgunits.urls_for_tests")]

STRICTEST = {"mode": "enforce", "key_by": "org", "rps": 1.0, "burst": 10}


@pytest.mark.parametrize(
    ("field", "value", "floor"), [("rps", 0.001, "1.0"), ("rps", 0.5, "1.0"), ("burst", 1, "10")]
)
def test_a_policy_below_the_floor_is_refused_with_the_floor_named(field, value, floor):
    admin = make_member(role="admin")
    response = jwt_client_for(admin).put(
        "/api/v1/settings/rate-limit", {**STRICTEST, field: value}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["details"][field][0]
    assert floor in message, message


def test_the_floor_itself_is_accepted():
    admin = make_member(role="admin")
    response = jwt_client_for(admin).put("/api/v1/settings/rate-limit", STRICTEST, format="json")
    assert response.status_code == 200
    assert response.json() == STRICTEST


def test_an_org_admin_reaches_the_rate_limit_settings_with_the_bucket_empty():
    admin = make_member(role="admin")
    client = jwt_client_for(admin)
    assert client.put("/api/v1/settings/rate-limit", STRICTEST, format="json").status_code == 200
    policy = RateLimitPolicy(**STRICTEST)
    key = rate_limit_key(key_by="org", org_id=admin.org_id, credential_id=None, ip="")
    while rate_limit_check(policy=policy, key=key).allowed:
        pass
    assert client.get("/api/v1/me/rate-limit").status_code == 429  # the bucket is empty

    for _ in range(3):
        assert client.get("/api/v1/settings/rate-limit").status_code == 200
        relaxed = {**STRICTEST, "rps": 50.0, "burst": 100}
        assert client.put("/api/v1/settings/rate-limit", relaxed, format="json").status_code == 200
    assert client.get("/api/v1/me/rate-limit").status_code == 200  # the new policy applies


def test_a_member_who_is_not_admin_is_still_refused_the_settings():
    member = make_member()
    assert jwt_client_for(member).get("/api/v1/settings/rate-limit").status_code == 403


def test_a_credential_revoked_elsewhere_is_refused_at_once(django_capture_on_commit_callbacks):
    issued = make_credential()
    client = basic_client_for(issued)
    assert client.get("/api/v1/_test/whoami").status_code == 200  # the cache is warm
    cached = verified_credentials.get(issued.credential.client_id)
    assert cached is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.api_credential_revoke(credential=issued.credential)
    # As in another web process, whose cache still holds the credential.
    verified_credentials.set(issued.credential.client_id, cached)

    refused = client.get("/api/v1/_test/whoami")
    assert refused.status_code == 401
    assert refused.json()["status"] == 401
    assert verified_credentials.get(issued.credential.client_id) is None


def test_revoking_through_the_api_refuses_the_credential_in_every_process(
    django_capture_on_commit_callbacks,
):
    issued = make_credential()
    owner = make_member(issued.credential.org)
    make_membership(issued.credential.unit, owner, "Owner")
    client = basic_client_for(issued)
    assert client.get("/api/v1/_test/whoami").status_code == 200
    cached = verified_credentials.get(issued.credential.client_id)

    owner_client = jwt_client_for(owner, issued.credential.unit)
    with django_capture_on_commit_callbacks(execute=True):
        revoked = owner_client.delete(f"/api/v1/secrets/{issued.credential.id}")
    assert revoked.status_code == 204
    verified_credentials.set(issued.credential.client_id, cached)  # another process's cache

    assert client.get("/api/v1/_test/whoami").status_code == 401


def test_with_redis_down_the_short_cache_still_serves_credentials(unreachable_redis):
    issued = make_credential()
    client = basic_client_for(issued)
    assert client.get("/api/v1/_test/whoami").status_code == 200  # verified in the database

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/_test/whoami").status_code == 200
    assert not [q for q in queries if "orgunits_apicredential" in q["sql"]]
