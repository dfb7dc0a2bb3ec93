from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from leadvibe.admin_app import admin_app_index
from leadvibe.api import views

api_patterns = [
    path("", include("orgunits.api.urls")),
    path("", include("scoring.api.urls")),
    path("", include("segments.api.urls")),
    path("", include("triggers.api.urls")),
    path("", include("demo.api.urls")),
]

urlpatterns = [
    path("", views.root, name="root"),
    path("home", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path(f"{settings.API_PREFIX}schema", SpectacularAPIView.as_view(), name="schema"),
    path(
        f"{settings.API_PREFIX}docs",
        # Its script is a separate response: the Content-Security-Policy allows no inline one.
        SpectacularSwaggerSplitView.as_view(url_name="schema"),
        name="docs",
    ),
    path(settings.API_PREFIX, include(api_patterns)),
    # Client-side routes of the admin app; whitenoise answers its files before this.
    path(
        "app",
        RedirectView.as_view(url="/app/", permanent=True, query_string=True),
        name="admin-app-root",
    ),
    re_path(r"^app/(?P<client_path>.*)$", admin_app_index, name="admin-app"),
]

handler400 = "leadvibe.api.errors.bad_request_view"
handler403 = "leadvibe.api.errors.permission_denied_view"
handler404 = "leadvibe.api.errors.not_found_view"
handler500 = "leadvibe.api.errors.server_error_view"
