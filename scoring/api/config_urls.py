from django.urls import path

from scoring.api import config_views, level_views, rescore_views, settings_views

# `filters/attributes` comes before `filters/<filter_id>`, which would take it as an id; the
# event-type routes with a suffix come before the bare one, whose path parameter takes slashes.
urlpatterns = [
    path("rulesets", config_views.RulesetsView.as_view(), name="rulesets"),
    path("rulesets/<str:ruleset_id>", config_views.RulesetView.as_view(), name="ruleset"),
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
    path("rules", config_views.RulesView.as_view(), name="rules"),
    path("rules/<str:rule_id>", config_views.RuleView.as_view(), name="rule"),
    path("decays", config_views.DecaysView.as_view(), name="decays"),
    path("decays/<str:decay_id>", config_views.DecayView.as_view(), name="decay"),
    path(
        "filters/attributes",
        config_views.AttributeFiltersView.as_view(),
        name="attribute-filters",
    ),
    path(
        "filters/attributes/<str:filter_id>",
        config_views.AttributeFilterView.as_view(),
        name="attribute-filter",
    ),
    path("filters", config_views.InorganicFiltersView.as_view(), name="filters"),
    path("filters/<str:filter_id>", config_views.InorganicFilterView.as_view(), name="filter"),
    path("levels/engagement", level_views.EngagementLevelsView.as_view(), name="levels-engagement"),
    path(
        "levels/engagement/<str:level_id>",
        level_views.EngagementLevelView.as_view(),
        name="level-engagement",
    ),
    path("levels/profile", level_views.ProfileLevelsView.as_view(), name="levels-profile"),
    path(
        "levels/profile/<str:level_id>",
        level_views.ProfileLevelView.as_view(),
        name="level-profile",
    ),
    path("levels/account", level_views.AccountLevelsView.as_view(), name="levels-account"),
    path(
        "levels/account/<str:level_id>",
        level_views.AccountLevelView.as_view(),
        name="level-account",
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
