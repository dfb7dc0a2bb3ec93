from leadvibe.exceptions import TooManyRequestsError
from leadvibe.ratelimit import RateLimitPolicy, rate_limit_check, rate_limit_headers


class RateLimitedViewMixin:
    """For DRF views: spend a token of a bucket, refuse with 429 when it is empty, and stamp
    the bucket's headers on the response, whatever the response turns out to be."""

    rate_limit_headers: dict[str, str] = {}

    def spend_rate_limit_token(
        self, *, policy: RateLimitPolicy, key: str, message: str | None = None
    ) -> None:
        # Tells ApiRateLimitMiddleware that this request's limit is settled (even when the
        # policy is "off"), so it adds no per-address headers of its own.
        self.request._request.rate_limit_applied = True
        decision = rate_limit_check(policy=policy, key=key)
        if decision is None:
            return
        self.rate_limit_headers = rate_limit_headers(decision, policy)
        if not decision.allowed:
            raise TooManyRequestsError(
                message or f"Rate limit exceeded; retry in {decision.retry_after_seconds} s"
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in self.rate_limit_headers.items():
            response[name] = value
        return response
