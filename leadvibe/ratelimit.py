"""Per-key token-bucket rate limiting, shared by every web process through Redis.

`rate_limit_check` takes one token from the bucket of a key (an organization, a credential or
an IP address) and says whether the request may go on; `rate_limit_headers` turns that answer
into response headers. Wiring both into the API views is the caller's job.
`rate_limit_check_and_flag` also reads, in the same round trip, whether a key the caller names
exists (orgunits asks whether the caller's credential was revoked).

Rules:
- atomic: one Lua script reads, refills, takes and writes the bucket, so concurrent requests in
  any number of processes can never spend the same token twice;
- server time: the script reads the clock with Redis `TIME`, so web processes whose clocks
  drift apart still agree on how much a bucket has refilled;
- fail open: when Redis cannot be reached the request is allowed (logged, and counted in
  `redis_unavailable{operation="rate_limit"}`): an outage of the limiter must not become an
  outage of the API. While the Redis circuit breaker is open this costs no network call;
- floor: an organization's own policy is never stricter than `MIN_RPS` tokens per second and
  `MIN_BURST` tokens, so that it cannot lock itself out of its own API.

A bucket holds at most `burst` tokens and refills at `rps` tokens per second; a request takes
one. In "observe" mode an empty bucket is only reported (`over_limit`), never refused.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import cache

from redis.commands.core import Script
from redis.exceptions import RedisError

from leadvibe.metrics import REDIS_UNAVAILABLE
from leadvibe.redis_client import get_redis

logger = logging.getLogger(__name__)

MODES = ("off", "observe", "enforce")
KEY_BY = ("org", "credential", "ip")
#: The strictest policy an organization may set: a dashboard page needs a handful of calls.
MIN_RPS = 1.0
MIN_BURST = 10

# KEYS[1] bucket hash, KEYS[2] (optional) a key whose existence is reported; ARGV: rps, burst,
# ttl seconds. Returns {allowed 0|1, tokens left, now ms, KEYS[2] exists 0|1}.
# Time is kept in whole milliseconds so it survives Lua's number-to-string conversion (14
# significant digits) exactly. Needs Redis >= 5, where a script calling TIME may still write
# (its effects, not the script, are replicated).
_BUCKET_SCRIPT_LUA = """
local rps = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) / 1000 * rps)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], ttl)
local flagged = 0
if KEYS[2] then
  flagged = redis.call('EXISTS', KEYS[2])
end
return {allowed, tostring(tokens), tostring(now), flagged}
"""


@dataclass(frozen=True)
class RateLimitPolicy:
    mode: str  # "off" | "observe" | "enforce"
    key_by: str  # "org" | "credential" | "ip"
    rps: float  # tokens added per second
    burst: int  # bucket capacity

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"rate limit mode must be one of {MODES}, not {self.mode!r}")
        if self.key_by not in KEY_BY:
            raise ValueError(f"rate limit key_by must be one of {KEY_BY}, not {self.key_by!r}")
        if not self.rps > 0:
            raise ValueError(f"rate limit rps must be > 0, not {self.rps!r}")
        if self.burst < 1:
            raise ValueError(f"rate limit burst must be >= 1, not {self.burst!r}")

    @property
    def seconds_to_fill(self) -> int:
        """Whole seconds an empty bucket takes to fill up (at least 1)."""
        return max(1, math.ceil(self.burst / self.rps))


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool  # what the caller must do; always True unless enforcing an empty bucket
    limit: int  # the bucket capacity (burst)
    remaining: int  # whole tokens left after this request
    reset_seconds: int  # seconds until the bucket is full again
    retry_after_seconds: int | None  # set only when the request is refused
    enforced: bool  # the policy refuses requests (mode "enforce")
    over_limit: bool  # the bucket was empty: refused when enforced, only reported otherwise
    reset_at: int  # Unix time (Redis clock) at which the bucket is full again
    degraded: bool = False  # Redis was unreachable; the request was allowed unchecked


@cache
def _token_bucket_script() -> Script:
    return get_redis().register_script(_BUCKET_SCRIPT_LUA)


def rate_limit_key(*, key_by: str, org_id: str, credential_id: str | None, ip: str) -> str:
    """The Redis key of the caller's bucket under `key_by`.

    Callers without an API credential (a user's JWT) share their organization's bucket when the
    policy keys by credential.
    """
    if key_by == "org":
        return f"rl:org:{org_id}"
    if key_by == "credential":
        return f"rl:cred:{credential_id}" if credential_id else f"rl:org:{org_id}"
    if key_by == "ip":
        return f"rl:ip:{ip}"
    raise ValueError(f"rate limit key_by must be one of {KEY_BY}, not {key_by!r}")


def rate_limit_check(*, policy: RateLimitPolicy, key: str) -> RateLimitDecision | None:
    """Take one token from the bucket `key`; None when the policy is off. Never raises on a
    Redis failure: the request is then allowed (`degraded=True`)."""
    decision, _ = rate_limit_check_and_flag(policy=policy, key=key, flag_key=None)
    return decision


def rate_limit_check_and_flag(
    *, policy: RateLimitPolicy, key: str, flag_key: str | None
) -> tuple[RateLimitDecision | None, bool | None]:
    """`rate_limit_check`, and whether `flag_key` exists, in one round trip to Redis. The flag
    is None when Redis could not be asked (or no `flag_key` was given)."""
    if policy.mode == "off" and flag_key is None:
        return None, None
    enforced = policy.mode == "enforce"
    try:
        client = get_redis()
        if policy.mode == "off" and flag_key is not None:
            return None, bool(client.exists(flag_key))
        allowed_raw, tokens_raw, now_ms_raw, flagged = _token_bucket_script()(
            keys=[key] if flag_key is None else [key, flag_key],
            args=[policy.rps, policy.burst, policy.seconds_to_fill * 2],
            client=client,
        )
    except (RedisError, OSError) as exc:
        logger.warning(
            "rate limiter unavailable, request allowed",
            extra={"key_by": policy.key_by, "error": str(exc)},
        )
        REDIS_UNAVAILABLE.labels(operation="rate_limit").inc()
        if policy.mode == "off":
            return None, None
        degraded = RateLimitDecision(
            allowed=True,
            limit=policy.burst,
            remaining=policy.burst,
            reset_seconds=0,
            retry_after_seconds=None,
            enforced=enforced,
            over_limit=False,
            reset_at=int(time.time()),
            degraded=True,
        )
        return degraded, None

    tokens = float(tokens_raw)
    now = int(now_ms_raw) / 1000
    over_limit = int(allowed_raw) == 0
    allowed = not (over_limit and enforced)
    reset_exact = (policy.burst - tokens) / policy.rps
    retry_after = None
    if not allowed:
        retry_after = max(1, math.ceil((1 - tokens) / policy.rps))
    decision = RateLimitDecision(
        allowed=allowed,
        limit=policy.burst,
        remaining=max(0, math.floor(tokens)),
        reset_seconds=max(0, math.ceil(reset_exact)),
        retry_after_seconds=retry_after,
        enforced=enforced,
        over_limit=over_limit,
        reset_at=math.ceil(now + reset_exact),
        degraded=False,
    )
    return decision, bool(flagged) if flag_key is not None else None


def rate_limit_headers(decision: RateLimitDecision, policy: RateLimitPolicy) -> dict[str, str]:
    """Response headers describing `decision`, in two vocabularies that say the same thing.

    - `X-RateLimit-*` as the peer Mobly API v0 defines them: Limit is the burst capacity,
      Remaining the tokens left after this request, Reset the Unix timestamp (seconds) at which
      the bucket is full again.
    - The IETF fields in the syntax of draft-ietf-httpapi-ratelimit-headers-10 (Structured
      Field Lists, unchanged since draft-08): `RateLimit: "default";r=<remaining>;t=<seconds
      until full>` and `RateLimit-Policy: "default";q=<burst>;w=<seconds to fill from empty>`.
      A token bucket has no fixed window; `q` per `w` states its average rate, rounded down
      when the rate exceeds `burst` per second, so a client that paces itself by the policy is
      never refused.
    - `Retry-After` (delay seconds) only when the request is refused.
    """
    headers = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_at),
        "RateLimit": f'"default";r={decision.remaining};t={decision.reset_seconds}',
        "RateLimit-Policy": f'"default";q={decision.limit};w={policy.seconds_to_fill}',
    }
    if decision.retry_after_seconds is not None:
        headers["Retry-After"] = str(decision.retry_after_seconds)
    return headers


def address_policy() -> RateLimitPolicy:
    """The deployment's default policy applied per client address: for callers that are not
    (or fail to be) authenticated, so no organization's policy applies."""
    from django.conf import settings

    return RateLimitPolicy(
        mode=settings.RATE_LIMIT_MODE,
        key_by="ip",
        rps=settings.RATE_LIMIT_RPS,
        burst=settings.RATE_LIMIT_BURST,
    )


def address_key(request) -> str:
    return rate_limit_key(
        key_by="ip", org_id="", credential_id=None, ip=request.META.get("REMOTE_ADDR", "")
    )
