from django.urls import URLPattern, path
from rest_framework.views import APIView

from leadvibe.api.config_resource import config_resource_urls
from triggers.api import firing_views, trigger_views, webhook_secret_views


def _emitted_events_urls(
    route: str, listing: type[APIView], export: type[APIView], *, name: str
) -> list[URLPattern]:
    """`route/events` and `route/events/export`, named `name-events(-export)`."""
    return [
        path(f"{route}/events", listing.as_view(), name=f"{name}-events"),
        path(f"{route}/events/export", export.as_view(), name=f"{name}-events-export"),
    ]


# `.../events` routes come before a kind's item route `.../<trigger_id>`, which would take
# `events` as an id.
urlpatterns = [
    *config_resource_urls(
        trigger_views.PATTERNS,
        "triggers/patterns",
        item_parameter="trigger_id",
        names=("trigger-patterns", "trigger-pattern"),
    ),
    *_emitted_events_urls(
        "triggers/milestones",
        firing_views.MilestoneEventsView,
        firing_views.MilestoneEventsExportView,
        name="trigger-milestone",
    ),
    *config_resource_urls(
        trigger_views.MILESTONES,
        "triggers/milestones",
        item_parameter="trigger_id",
        names=("trigger-milestones", "trigger-milestone"),
    ),
    path(
        "triggers/milestones/<str:trigger_id>/simulate",
        trigger_views.MilestoneSimulateView.as_view(),
        name="trigger-milestone-simulate",
    ),
    *_emitted_events_urls(
        "triggers/sequences",
        firing_views.SequenceEventsView,
        firing_views.SequenceEventsExportView,
        name="trigger-sequence",
    ),
    *config_resource_urls(
        trigger_views.SEQUENCES,
        "triggers/sequences",
        item_parameter="trigger_id",
        names=("trigger-sequences", "trigger-sequence"),
    ),
    path(
        "triggers/sequences/<str:trigger_id>/simulate",
        trigger_views.SequenceSimulateView.as_view(),
        name="trigger-sequence-simulate",
    ),
    *_emitted_events_urls(
        "triggers/segments",
        firing_views.SegmentEventsView,
        firing_views.SegmentEventsExportView,
        name="trigger-segment",
    ),
    *config_resource_urls(
        trigger_views.SEGMENT_TRIGGERS,
        "triggers/segments",
        item_parameter="trigger_id",
        names=("trigger-segments", "trigger-segment"),
    ),
    path("triggers/deliveries", firing_views.DeliveriesView.as_view(), name="trigger-deliveries"),
    *config_resource_urls(
        trigger_views.SURGE_TRIGGERS,
        "surge/triggers",
        item_parameter="trigger_id",
        names=("surge-triggers", "surge-trigger"),
    ),
    path(
        "surge/triggers/<str:trigger_id>/simulate",
        trigger_views.SurgeTriggerSimulateView.as_view(),
        name="surge-trigger-simulate",
    ),
    path("surge/events", firing_views.SurgeEventsView.as_view(), name="surge-events"),
    path(
        "org-units/<str:unit_id>/surge-metrics",
        firing_views.SurgeMetricsView.as_view(),
        name="surge-metrics",
    ),
    path(
        "settings/webhook-secret",
        webhook_secret_views.WebhookSecretView.as_view(),
        name="webhook-secret",
    ),
    path(
        "settings/webhook-secret/rotate",
        webhook_secret_views.WebhookSecretRotateView.as_view(),
        name="webhook-secret-rotate",
    ),
]
