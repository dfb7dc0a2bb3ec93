from django.urls import path

from leadvibe.api.config_resource import config_resource_urls
from scoring.api import config_views, level_views, rescore_views, settings_views

# `filters/attributes` comes before `filters/<filter_id>`, which would take it as an id; the
# event-type routes with a suffix come before the bare one, whose path parameter takes slashes.
urlpatterns = [
    *config_resource_urls(
        config_views.RULESETS,
        "rulesets",
        item_parameter="ruleset_id",
        names=("rulesets", "ruleset"),
    ),
    path(
        "rulesets/<str:ruleset_id>/rules",
        config_views.RulesetRulesView.as_view(),
        name="ruleset-rules",
    ),
    path(
        "rulesets/<str:ruleset_id>/rescore",
        rescore_views.RulesetRescoreView.as_view(),
        name="ruleset-rescore",
    ),
    *config_resource_urls(
        config_views.RULES, "rules", item_parameter="rule_id", names=("rules", "rule")
    ),
    *config_resource_urls(
        config_views.DECAYS, "decays", item_parameter="decay_id", names=("decays", "decay")
    ),
    *config_resource_urls(
        config_views.ATTRIBUTE_FILTERS,
        "filters/attributes",
        item_parameter="filter_id",
        names=("attribute-filters", "attribute-filter"),
    ),
    *config_resource_urls(
        config_views.INORGANIC_FILTERS,
        "filters",
        item_parameter="filter_id",
        names=("filters", "filter"),
    ),
    *config_resource_urls(
        level_views.ENGAGEMENT_LEVELS,
        "levels/engagement",
        item_parameter="level_id",
        names=("levels-engagement", "level-engagement"),
    ),
    *config_resource_urls(
        level_views.PROFILE_LEVELS,
        "levels/profile",
        item_parameter="level_id",
        names=("levels-profile", "level-profile"),
    ),
    *config_resource_urls(
        level_views.ACCOUNT_LEVELS,
        "levels/account",
        item_parameter="level_id",
        names=("levels-account", "level-account"),
    ),
    path(
        "settings/ou/surge-policy",
        settings_views.SurgePolicyView.as_view(),
        name="surge-policy",
    ),
    path("settings/scoring", settings_views.ScoringSettingsView.as_view(), name="scoring-settings"),
    path(
        "settings/event-types",
        settings_views.EventTypeSettingsView.as_view(),
        name="event-type-settings",
    ),
    path(
        "settings/event-types/<path:event_type>/delete-preview",
        settings_views.EventTypeDeletePreviewView.as_view(),
        name="event-type-delete-preview",
    ),
    path(
        "settings/event-types/<path:event_type>/events",
        settings_views.EventTypeEventsView.as_view(),
        name="event-type-events",
    ),
    path(
        "settings/event-types/<path:event_type>",
        settings_views.EventTypeSettingView.as_view(),
        name="event-type-setting",
    ),
]
