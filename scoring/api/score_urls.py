from django.urls import path

from scoring.api import analytics_views, score_views

# Included before the lead routes: `leads/scores` would otherwise be taken for a lead id.
urlpatterns = [
    path("leads/scores", score_views.LeadScoresBatchView.as_view(), name="leads-scores"),
    path("leads/<str:lead_id>/score", score_views.LeadScoreView.as_view(), name="lead-score"),
    path("leads/<str:lead_id>/explain", score_views.LeadExplainView.as_view(), name="lead-explain"),
    path(
        "events/<str:event_id>/explain",
        score_views.EventExplainView.as_view(),
        name="event-explain",
    ),
    path("analytics", analytics_views.AnalyticsView.as_view(), name="analytics"),
    path("analytics/stats", analytics_views.AnalyticsStatsView.as_view(), name="analytics-stats"),
    path(
        "analytics/top-leads",
        analytics_views.TopLeadsView.as_view(),
        name="analytics-top-leads",
    ),
    path(
        "analytics/recent-gains",
        analytics_views.RecentGainsView.as_view(),
        name="analytics-recent-gains",
    ),
]
