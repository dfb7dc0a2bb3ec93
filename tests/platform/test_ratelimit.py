"""Token-bucket rate limiter against the real (embedded) Redis of the test settings."""

import logging
import math
import time
import uuid

import pytest

from leadvibe.metrics import REDIS_UNAVAILABLE
from leadvibe.ratelimit import (
    RateLimitPolicy,
    rate_limit_check,
    rate_limit_headers,
    rate_limit_key,
)
from leadvibe.redis_client import get_redis
from tests.concurrency import run_in_threads


def unique_key() -> str:
    return f"rl:test:{uuid.uuid4().hex}"


def enforce(*, rps: float = 1.0, burst: int = 5) -> RateLimitPolicy:
    return RateLimitPolicy(mode="enforce", key_by="org", rps=rps, burst=burst)


def test_enforce_allows_the_burst_then_refuses():
    policy, key = enforce(burst=5), unique_key()
    decisions = [rate_limit_check(policy=policy, key=key) for _ in range(5)]
    assert all(d.allowed and not d.over_limit for d in decisions)
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    assert all(d.limit == 5 and d.enforced and d.retry_after_seconds is None for d in decisions)

    refused = rate_limit_check(policy=policy, key=key)
    assert not refused.allowed
    assert refused.over_limit
    assert refused.remaining == 0
    assert refused.retry_after_seconds >= 1
    headers = rate_limit_headers(refused, policy)
    assert headers["Retry-After"] == str(refused.retry_after_seconds)
    assert headers["X-RateLimit-Remaining"] == "0"


def test_headers_agree_with_the_decision():
    policy, key = enforce(rps=1, burst=5), unique_key()
    rate_limit_check(policy=policy, key=key)
    decision = rate_limit_check(policy=policy, key=key)
    assert (decision.remaining, decision.reset_seconds) == (3, 2)

    headers = rate_limit_headers(decision, policy)
    assert headers["X-RateLimit-Limit"] == "5"
    assert headers["X-RateLimit-Remaining"] == "3"
    # Peer convention: a Unix timestamp at which the bucket is full again.
    assert abs(int(headers["X-RateLimit-Reset"]) - (time.time() + 2)) <= 2
    assert headers["RateLimit"] == '"default";r=3;t=2'
    assert headers["RateLimit-Policy"] == '"default";q=5;w=5'
    assert "Retry-After" not in headers


def test_policy_window_never_overstates_the_rate():
    assert enforce(rps=20, burst=5).seconds_to_fill == 1
    assert enforce(rps=0.5, burst=5).seconds_to_fill == 10
    assert enforce(rps=3, burst=10).seconds_to_fill == 4


def test_tokens_refill_at_rps():
    policy, key = enforce(rps=20, burst=2), unique_key()
    for _ in range(10):
        decision = rate_limit_check(policy=policy, key=key)
        if not decision.allowed:
            break
    assert not decision.allowed, "the bucket should have emptied"
    assert decision.retry_after_seconds >= 1

    time.sleep(0.12)
    refilled = rate_limit_check(policy=policy, key=key)
    assert refilled.allowed
    assert not refilled.over_limit


def test_observe_mode_never_refuses_but_reports_over_limit():
    policy = RateLimitPolicy(mode="observe", key_by="org", rps=1, burst=2)
    key = unique_key()
    decisions = [rate_limit_check(policy=policy, key=key) for _ in range(4)]
    assert all(d.allowed and not d.enforced for d in decisions)
    assert [d.over_limit for d in decisions] == [False, False, True, True]
    assert all(d.retry_after_seconds is None for d in decisions)
    assert "Retry-After" not in rate_limit_headers(decisions[-1], policy)


def test_off_mode_returns_none_and_touches_no_bucket():
    policy = RateLimitPolicy(mode="off", key_by="org", rps=1, burst=1)
    key = unique_key()
    assert rate_limit_check(policy=policy, key=key) is None
    assert not get_redis().exists(key)


def test_keys_have_independent_buckets():
    policy, first, second = enforce(burst=1), unique_key(), unique_key()
    assert rate_limit_check(policy=policy, key=first).allowed
    assert not rate_limit_check(policy=policy, key=first).allowed
    assert rate_limit_check(policy=policy, key=second).allowed


def test_bucket_is_a_hash_that_expires_when_idle():
    policy, key = enforce(rps=2, burst=5), unique_key()
    rate_limit_check(policy=policy, key=key)
    state = get_redis().hgetall(key)
    assert set(state) == {b"tokens", b"ts"}
    assert float(state[b"tokens"]) == pytest.approx(4, abs=0.1)
    assert 0 < get_redis().ttl(key) <= math.ceil(5 / 2) * 2


def test_concurrent_requests_never_spend_a_token_twice():
    policy, key = enforce(rps=0.001, burst=50), unique_key()
    allowed = run_in_threads(
        lambda _: sum(rate_limit_check(policy=policy, key=key).allowed for _ in range(25)),
        count=4,
        start_together=True,
    )
    assert sum(allowed) == 50


def test_fails_open_when_redis_is_unreachable(unreachable_redis, caplog):
    counter = REDIS_UNAVAILABLE.labels(operation="rate_limit")
    before = counter._value.get()
    policy = enforce(burst=5)

    with caplog.at_level(logging.WARNING, logger="leadvibe.ratelimit"):
        decision = rate_limit_check(policy=policy, key=unique_key())

    assert decision.allowed
    assert decision.degraded
    assert not decision.over_limit
    assert (decision.remaining, decision.limit, decision.retry_after_seconds) == (5, 5, None)
    assert counter._value.get() == before + 1
    [record] = [r for r in caplog.records if r.name == "leadvibe.ratelimit"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "Retry-After" not in rate_limit_headers(decision, policy)


@pytest.mark.parametrize(
    ("key_by", "credential_id", "expected"),
    [
        ("org", "cred-1", "rl:org:org-1"),
        ("credential", "cred-1", "rl:cred:cred-1"),
        ("credential", None, "rl:org:org-1"),
        ("ip", "cred-1", "rl:ip:203.0.113.7"),
    ],
)
def test_rate_limit_key(key_by, credential_id, expected):
    key = rate_limit_key(
        key_by=key_by, org_id="org-1", credential_id=credential_id, ip="203.0.113.7"
    )
    assert key == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"mode": "block"},
        {"key_by": "user"},
        {"rps": 0},
        {"burst": 0},
    ],
)
def test_invalid_policies_are_rejected(fields):
    values = {"mode": "enforce", "key_by": "org", "rps": 1.0, "burst": 5} | fields
    with pytest.raises(ValueError, match="rate limit"):
        RateLimitPolicy(**values)
