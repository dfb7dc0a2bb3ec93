from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView


class LoginView(TokenObtainPairView):
    """Email and password → `{"access", "refresh"}` JWTs."""


class RefreshView(TokenRefreshView):
    """Refresh token → a new access token (and a new refresh token: rotation)."""
