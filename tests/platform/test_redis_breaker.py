"""The request path's Redis client: short timeouts and a circuit breaker, against a Redis that
stalls (a port that accepts connections and never answers, as a SIGSTOPped server does) or is
down (a closed port)."""

import os
import socket
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from leadvibe.ratelimit import RateLimitPolicy, rate_limit_check
from leadvibe.redis_client import RedisUnavailableError, breaker, get_redis
from tests.api_clients import credential_authorization
from tests.factories import make_credential

POLICY = RateLimitPolicy(mode="enforce", key_by="org", rps=1.0, burst=10)


@pytest.fixture
def stalled_redis(settings):
    """Redis as seen while its server is stopped: connections are accepted by the kernel and
    no reply ever comes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        settings.REDIS_URL = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        settings.REDIS_SOCKET_TIMEOUT = 0.05
        get_redis.cache_clear()
        yield
    get_redis.cache_clear()
    breaker.reset()


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def test_a_stalled_redis_costs_one_timeout_then_nothing(stalled_redis):
    first, first_seconds = timed(lambda: rate_limit_check(policy=POLICY, key="rl:org:a"))
    assert first.allowed
    assert first.degraded
    assert 0.04 <= first_seconds < 0.5

    later = [timed(lambda: rate_limit_check(policy=POLICY, key="rl:org:a")) for _ in range(20)]
    assert all(decision.allowed and decision.degraded for decision, _ in later)
    # Twenty calls without the breaker would take at least twenty timeouts (1 s).
    assert sum(seconds for _, seconds in later) < 0.1
    assert breaker.is_open


@pytest.mark.django_db
def test_ingest_answers_at_once_while_redis_stalls(api_client, stalled_redis):
    issued = make_credential()
    api_client.credentials(HTTP_AUTHORIZATION=credential_authorization(issued))
    event = {"event_type": "page_view", "aliases": [{"alias_kind": "cookie", "raw_value": "c"}]}
    api_client.post("/api/v1/events", event, format="json")  # trips the breaker

    seconds = []
    for _ in range(5):
        response, elapsed = timed(lambda: api_client.post("/api/v1/events", event, format="json"))
        assert response.status_code == 202, response.content
        seconds.append(elapsed)
    # Before the breaker each request waited out a timeout per Redis call (four of them).
    assert max(seconds) < 0.2, seconds


def test_the_breaker_closes_after_a_successful_probe(settings, unreachable_redis):
    settings.REDIS_BREAKER_COOLDOWN_SECONDS = 0.2
    with pytest.raises(RedisConnectionError):
        get_redis().ping()
    assert breaker.is_open

    # Redis is back, but until the cool-down ends nobody asks it.
    settings.REDIS_URL = os.environ["REDIS_URL"]
    get_redis.cache_clear()
    with pytest.raises(RedisUnavailableError):
        get_redis().set("probe", "skipped")

    time.sleep(0.25)
    assert get_redis().ping() is True  # the probe
    assert not breaker.is_open
    assert get_redis().get("probe") is None
    get_redis().set("probe", "sent")
    assert get_redis().get("probe") == b"sent"


def test_a_failed_probe_opens_the_breaker_for_another_cool_down(settings, unreachable_redis):
    settings.REDIS_BREAKER_COOLDOWN_SECONDS = 0.2
    with pytest.raises(RedisConnectionError):
        get_redis().ping()
    time.sleep(0.25)
    with pytest.raises(RedisConnectionError) as probe:
        get_redis().ping()
    assert not isinstance(probe.value, RedisUnavailableError)  # it did try Redis
    with pytest.raises(RedisUnavailableError):
        get_redis().ping()


def test_an_error_reply_is_not_an_outage():
    get_redis().set("text", "x")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        get_redis().lpush("text", "y")
    assert not breaker.is_open
    assert get_redis().get("text") == b"x"
