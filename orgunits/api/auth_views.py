from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from leadvibe.exceptions import ApplicationError
from leadvibe.ratelimit import RateLimitPolicy, rate_limit_check, rate_limit_headers

# Password guessing is slowed per address: 10 attempts at once, then one every 6 seconds.
LOGIN_POLICY = RateLimitPolicy(mode="enforce", key_by="ip", rps=1 / 6, burst=10)


class LoginThrottledError(ApplicationError):
    status_code = 429
    default_message = "Too many login attempts; try again later"


class LoginView(TokenObtainPairView):
    """Email and password → `{"access", "refresh"}` JWTs."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        ip = request.META.get("REMOTE_ADDR", "")
        decision = rate_limit_check(policy=LOGIN_POLICY, key=f"rl:login:{ip}")
        self.rate_limit_headers = rate_limit_headers(decision, LOGIN_POLICY)
        if not decision.allowed:
            raise LoginThrottledError()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in getattr(self, "rate_limit_headers", {}).items():
            response[name] = value
        return response


class RefreshView(TokenRefreshView):
    """Refresh token → a new access token (and a new refresh token: rotation)."""
