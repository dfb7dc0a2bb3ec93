from django.urls import path

from orgunits.api import auth_views, stream_views, views

urlpatterns = [
    path("auth/login", auth_views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", auth_views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
    path("auth/cleanup", views.CleanupView.as_view(), name="auth-cleanup"),
    path("org-units", views.OrgUnitsView.as_view(), name="org-units"),
    path("org-units/active", views.ActiveOUView.as_view(), name="org-units-active"),
    path("org-units/<str:unit_id>", views.OrgUnitDetailView.as_view(), name="org-unit"),
    path(
        "org-units/<str:unit_id>/memberships",
        views.MembershipsView.as_view(),
        name="ou-memberships",
    ),
    path(
        "org-units/<str:unit_id>/memberships/<str:member_id>",
        views.MembershipDetailView.as_view(),
        name="ou-membership",
    ),
    path("org/members", views.OrgMembersView.as_view(), name="org-members"),
    path("org/members/<str:member_id>", views.OrgMemberDetailView.as_view(), name="org-member"),
    path("usage", views.UsageView.as_view(), name="usage"),
    path("settings/rate-limit", views.RateLimitSettingsView.as_view(), name="settings-rate-limit"),
    path("me/rate-limit", views.MyRateLimitView.as_view(), name="me-rate-limit"),
    path("admin/audit-logs", views.AuditLogsView.as_view(), name="admin-audit-logs"),
    path("secrets", views.SecretsView.as_view(), name="secrets"),
    path("secrets/<str:secret_id>", views.SecretDetailView.as_view(), name="secret"),
    path("stream", stream_views.live_stream_view, name="stream"),
]
