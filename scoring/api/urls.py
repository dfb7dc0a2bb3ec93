from django.urls import include, path

from scoring.api import event_views

urlpatterns = [
    path("events", event_views.EventsView.as_view(), name="events"),
    path("events/batch", event_views.EventBatchView.as_view(), name="events-batch"),
    path("", include("scoring.api.import_urls")),
    path("", include("scoring.api.event_read_urls")),
    path("", include("scoring.api.score_urls")),
    path("", include("scoring.api.lead_urls")),
    path("", include("scoring.api.config_urls")),
    path("", include("scoring.api.profile_urls")),
    path("", include("scoring.api.account_urls")),
    path("", include("scoring.api.backfill_urls")),
]
