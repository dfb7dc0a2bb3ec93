from django.urls import URLPattern, path

from leadvibe.api.config_resource import config_resource_urls
from scoring.api import profile_views as views
from scoring.api.profile_views import FitResources


def fit_urls(resources: FitResources, *, route: str, name: str) -> list[URLPattern]:
    """`<route>/mappings`, `<route>/rulesets` and `<route>/rulesets/<id>/rules`, each with
    its item route; named `<name>-mappings`, `<name>-mapping` and so on."""
    return [
        *config_resource_urls(
            resources.mappings,
            f"{route}/mappings",
            item_parameter="mapping_id",
            names=(f"{name}-mappings", f"{name}-mapping"),
        ),
        *config_resource_urls(
            resources.rulesets,
            f"{route}/rulesets",
            item_parameter="ruleset_id",
            names=(f"{name}-rulesets", f"{name}-ruleset"),
        ),
        *config_resource_urls(
            resources.rules,
            f"{route}/rulesets/<str:ruleset_id>/rules",
            item_parameter="rule_id",
            names=(f"{name}-ruleset-rules", f"{name}-ruleset-rule"),
        ),
    ]


# `profile/properties` and `profile/mappings` are fixed words, not ids.
urlpatterns = [
    *fit_urls(views.PROFILE_FIT, route="profile", name="profile"),
    path("profile/properties", views.ProfilePropertiesView.as_view(), name="profile-properties"),
    path(
        "admin/apply-profile-mappings",
        views.ApplyProfileMappingsView.as_view(),
        name="admin-apply-profile-mappings",
    ),
]
