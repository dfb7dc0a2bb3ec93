from django.urls import path

from scoring.api import profile_views as views

# `profile/rulesets/<id>/rules` is a fixed suffix; `profile/properties` and
# `profile/mappings` are fixed words, not ids.
urlpatterns = [
    path("profile/mappings", views.ProfileMappingsView.as_view(), name="profile-mappings"),
    path(
        "profile/mappings/<str:mapping_id>",
        views.ProfileMappingView.as_view(),
        name="profile-mapping",
    ),
    path("profile/rulesets", views.ProfileRulesetsView.as_view(), name="profile-rulesets"),
    path(
        "profile/rulesets/<str:ruleset_id>",
        views.ProfileRulesetView.as_view(),
        name="profile-ruleset",
    ),
    path(
        "profile/rulesets/<str:ruleset_id>/rules",
        views.ProfileRulesView.as_view(),
        name="profile-ruleset-rules",
    ),
    path(
        "profile/rulesets/<str:ruleset_id>/rules/<str:rule_id>",
        views.ProfileRuleView.as_view(),
        name="profile-ruleset-rule",
    ),
    path("profile/properties", views.ProfilePropertiesView.as_view(), name="profile-properties"),
    path(
        "admin/apply-profile-mappings",
        views.ApplyProfileMappingsView.as_view(),
        name="admin-apply-profile-mappings",
    ),
]
