from django.urls import path

from leadvibe.api.config_resource import config_resource_urls
from triggers.api import firing_views, trigger_views, webhook_secret_views

# `.../events` routes come before a kind's item route `.../<trigger_id>`, which would take
# `events` as an id.
urlpatterns = [
    *config_resource_urls(
        trigger_views.PATTERNS,
        "triggers/patterns",
        item_parameter="trigger_id",
        names=("trigger-patterns", "trigger-pattern"),
    ),
    path(
        "triggers/milestones/events",
        firing_views.MilestoneEventsView.as_view(),
        name="trigger-milestone-events",
    ),
    path(
        "triggers/milestones/events/export",
        firing_views.MilestoneEventsExportView.as_view(),
        name="trigger-milestone-events-export",
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
    path(
        "triggers/sequences/events",
        firing_views.SequenceEventsView.as_view(),
        name="trigger-sequence-events",
    ),
    path(
        "triggers/sequences/events/export",
        firing_views.SequenceEventsExportView.as_view(),
        name="trigger-sequence-events-export",
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
    path(
        "triggers/segments/events",
        firing_views.SegmentEventsView.as_view(),
        name="trigger-segment-events",
    ),
    path(
        "triggers/segments/events/export",
        firing_views.SegmentEventsExportView.as_view(),
        name="trigger-segment-events-export",
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
