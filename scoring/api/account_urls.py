from django.urls import path

from scoring.api import account_views as views

# These fixed words must be matched before any `accounts/<account_id>` route: include this
# module ahead of one that declares such a route.
urlpatterns = [
    path("accounts/rulesets", views.AccountRulesetsView.as_view(), name="account-rulesets"),
    path(
        "accounts/rulesets/<str:ruleset_id>",
        views.AccountRulesetView.as_view(),
        name="account-ruleset",
    ),
    path(
        "accounts/rulesets/<str:ruleset_id>/rules",
        views.AccountRulesView.as_view(),
        name="account-ruleset-rules",
    ),
    path(
        "accounts/rulesets/<str:ruleset_id>/rules/<str:rule_id>",
        views.AccountRuleView.as_view(),
        name="account-ruleset-rule",
    ),
    path("accounts/mappings", views.AccountMappingsView.as_view(), name="account-mappings"),
    path(
        "accounts/mappings/<str:mapping_id>",
        views.AccountMappingView.as_view(),
        name="account-mapping",
    ),
    path("accounts/properties", views.AccountPropertiesView.as_view(), name="account-properties"),
]
