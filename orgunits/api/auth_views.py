from rest_framework.permissions import AllowAny
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from leadvibe.api.throttling import RateLimitedViewMixin
from leadvibe.ratelimit import RateLimitPolicy, address_key

# Password guessing is slowed per address: 10 attempts at once, then one every 6 seconds.
LOGIN_POLICY = RateLimitPolicy(mode="enforce", key_by="ip", rps=1 / 6, burst=10)


class LoginView(RateLimitedViewMixin, TokenObtainPairView):
    """Email and password → `{"access", "refresh"}` JWTs."""

    permission_classes = [AllowAny]  # public: this is where callers get credentials

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.spend_rate_limit_token(
            policy=LOGIN_POLICY,
            key=f"login:{address_key(request)}",
            message="Too many login attempts; try again later",
        )


class RefreshView(TokenRefreshView):
    """Refresh token → a new access token (and a new refresh token: rotation)."""

    permission_classes = [AllowAny]  # public: the refresh token is the credential
