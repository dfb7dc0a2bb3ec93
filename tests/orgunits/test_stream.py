"""GET /api/v1/stream: a member's live stream of one OU, over real HTTP (uvicorn serving the
ASGI application), real Redis and PostgreSQL; errors and the sync-server path through
Django's test client."""

import time
from dataclasses import dataclass

import pytest
from django.test import Client

from leadvibe.live import live_channel, publish_live_events
from leadvibe.redis_client import get_redis
from tests.api_clients import credential_authorization, token_for
from tests.factories import make_credential, make_member, make_membership, make_org, make_unit
from tests.streaming import STREAM_PATH, Sse, asgi_server, next_event, open_stream

transactional = pytest.mark.django_db(transaction=True)


@dataclass
class Tenants:
    unit: object  # the member's OU
    sibling: object  # an OU of the same org where the member holds no role
    foreign: object  # another org's OU
    token: str


@pytest.fixture
def tenants() -> Tenants:
    org = make_org()
    unit, sibling = make_unit(org), make_unit(org)
    member = make_member(org)
    make_membership(unit, member, "Viewer")
    return Tenants(unit, sibling, make_unit(make_org()), token_for(member))


@pytest.fixture
def server():
    with asgi_server() as base_url:
        yield base_url


@transactional
def test_an_ous_stream_carries_its_events_and_never_another_ous(tenants, server, settings):
    settings.LIVE_STREAM_HEARTBEAT_SECONDS = 0.3
    a, b = tenants.unit.id, tenants.foreign.id
    with open_stream(server, token=tenants.token, ouId=a) as (response, events):
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        assert response.headers["x-ou-id"] == a
        publish_live_events(b, [("score_update", {"lead_id": "of-b"})])
        publish_live_events(a, [("score_update", {"lead_id": "a-1", "delta": 5})])
        publish_live_events(b, [("surge", {"lead_id": "of-b"})])
        publish_live_events(a, [("surge", {"lead_id": "a-2"}), ("event_ingested", {"n": 3})])
        received = [next(events) for _ in range(4)]
    assert received == [
        Sse("score_update", '{"lead_id":"a-1","delta":5}'),
        Sse("surge", '{"lead_id":"a-2"}'),
        Sse("event_ingested", '{"n":3}'),
        Sse(None, "heartbeat"),  # and nothing of B's before it
    ]


@transactional
def test_the_access_token_query_parameter_opens_the_stream(tenants, server):
    with open_stream(server, access_token=tenants.token, ouId=tenants.unit.id) as (_, events):
        publish_live_events(tenants.unit.id, [("surge", {"lead_id": "l1"})])
        assert next_event(events) == Sse("surge", '{"lead_id":"l1"}')


@transactional
def test_a_heartbeat_comes_after_each_silence(tenants, server, settings):
    settings.LIVE_STREAM_HEARTBEAT_SECONDS = 0.2
    with open_stream(server, token=tenants.token, ouId=tenants.unit.id) as (_, events):
        started = time.monotonic()
        assert [next(events) for _ in range(3)] == [Sse(None, "heartbeat")] * 3
    assert 0.5 < time.monotonic() - started < 2


@transactional
def test_a_client_going_away_unsubscribes(tenants, server):
    channel = live_channel(tenants.unit.id)

    def subscribers() -> int:
        return dict(get_redis().pubsub_numsub(channel))[channel.encode()]

    with open_stream(server, token=tenants.token, ouId=tenants.unit.id):
        assert subscribers() == 1
    deadline = time.monotonic() + 5
    while subscribers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert subscribers() == 0


def _get(token=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get(STREAM_PATH, params, **headers)


@pytest.mark.django_db
def test_without_a_valid_token_is_401(tenants):
    for response in (
        _get(ouId=tenants.unit.id),
        _get("not-a-jwt", ouId=tenants.unit.id),
        _get(access_token="not-a-jwt", ouId=tenants.unit.id),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert _get(ouId=tenants.unit.id).json() == {
        "status": 401,
        "error": "Authentication credentials were not provided.",
    }
    assert _get("not-a-jwt").json() == {
        "status": 401,
        "error": "Given token not valid for any token type",
    }


@pytest.mark.django_db
def test_an_api_credential_is_not_a_members_jwt(tenants):
    issued = make_credential(tenants.unit)
    response = Client().get(STREAM_PATH, HTTP_AUTHORIZATION=credential_authorization(issued))
    assert response.status_code == 403
    assert response.json()["error"] == "This route needs a member's JWT, not an API credential"


@pytest.mark.django_db
def test_an_ou_of_another_org_is_404_and_one_without_a_role_403(tenants):
    assert _get(tenants.token, ouId=tenants.foreign.id).json() == {
        "status": 404,
        "error": "Not Found",
    }
    assert _get(tenants.token, ouId="no-such-ou").status_code == 404
    assert _get(tenants.token, ouId=tenants.sibling.id).json() == {
        "status": 403,
        "error": "You are not a member of this OU",
    }


@pytest.mark.django_db
def test_no_ou_at_all_is_400(tenants):
    assert _get(tenants.token).json() == {"status": 400, "error": "No active OU"}


@pytest.mark.django_db
def test_only_get(tenants):
    response = Client().post(STREAM_PATH, HTTP_AUTHORIZATION=f"Bearer {tenants.token}")
    assert response.status_code == 405
    assert response.json()["status"] == 405


@pytest.mark.django_db
def test_a_sync_server_streams_the_active_ou_too(tenants):
    """Under WSGI (the main gunicorn) the view streams from an event loop of its own; the OU
    defaults to the active one."""
    response = Client().get(
        STREAM_PATH, HTTP_AUTHORIZATION=f"Bearer {tenants.token}", HTTP_X_OU_ID=tenants.unit.id
    )
    assert response.status_code == 200
    content = iter(response.streaming_content)
    try:
        assert next(content) == b": connected\n\n"
        publish_live_events(tenants.unit.id, [("surge", {"lead_id": "l1"})])
        assert next(content) == b'event: surge\ndata: {"lead_id":"l1"}\n\n'
    finally:
        response.close()
    channel = live_channel(tenants.unit.id)
    assert dict(get_redis().pubsub_numsub(channel))[channel.encode()] == 0
