from leadvibe.exceptions import TooManyRequestsError
from leadvibe.ratelimit import RateLimitPolicy, rate_limit_check_and_flag, rate_limit_headers


class RateLimitedViewMixin:
    """For DRF views: spend a token of a bucket, refuse with 429 when it is empty, and stamp
    the bucket's headers on the response, whatever the response turns out to be."""

    rate_limit_headers: dict[str, str] = {}

    def spend_rate_limit_token(
        self,
        *,
        policy: RateLimitPolicy,
        key: str,
        message: str | None = None,
        flag_key: str | None = None,
    ) -> bool | None:
        """Returns whether `flag_key` exists (read in the same round trip; None when Redis
        could not say). A flagged caller is the caller's to refuse: no 429 is raised for it."""
        self.settle_rate_limit()
        decision, flagged = rate_limit_check_and_flag(policy=policy, key=key, flag_key=flag_key)
        if decision is None or flagged:
            return flagged
        self.rate_limit_headers = rate_limit_headers(decision, policy)
        if not decision.allowed:
            raise TooManyRequestsError(
                message or f"Rate limit exceeded; retry in {decision.retry_after_seconds} s"
            )
        return flagged

    def settle_rate_limit(self) -> None:
        # Tells ApiRateLimitMiddleware that this request's limit is settled (even when the
        # policy is "off" or the caller is exempt), so it adds no per-address headers.
        self.request._request.rate_limit_applied = True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in self.rate_limit_headers.items():
            response[name] = value
        return response
