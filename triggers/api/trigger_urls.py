from django.urls import path

from triggers.api import firing_views, trigger_views, webhook_secret_views

# `.../events` routes come before `.../<trigger_id>`, which would take `events` as an id.
urlpatterns = [
    path("triggers/patterns", trigger_views.PatternsView.as_view(), name="trigger-patterns"),
    path(
        "triggers/patterns/<str:trigger_id>",
        trigger_views.PatternView.as_view(),
        name="trigger-pattern",
    ),
    path("triggers/milestones", trigger_views.MilestonesView.as_view(), name="trigger-milestones"),
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
    path(
        "triggers/milestones/<str:trigger_id>",
        trigger_views.MilestoneView.as_view(),
        name="trigger-milestone",
    ),
    path(
        "triggers/milestones/<str:trigger_id>/simulate",
        trigger_views.MilestoneSimulateView.as_view(),
        name="trigger-milestone-simulate",
    ),
    path("triggers/sequences", trigger_views.SequencesView.as_view(), name="trigger-sequences"),
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
    path(
        "triggers/sequences/<str:trigger_id>",
        trigger_views.SequenceView.as_view(),
        name="trigger-sequence",
    ),
    path(
        "triggers/sequences/<str:trigger_id>/simulate",
        trigger_views.SequenceSimulateView.as_view(),
        name="trigger-sequence-simulate",
    ),
    path("triggers/deliveries", firing_views.DeliveriesView.as_view(), name="trigger-deliveries"),
    path("surge/triggers", trigger_views.SurgeTriggersView.as_view(), name="surge-triggers"),
    path(
        "surge/triggers/<str:trigger_id>",
        trigger_views.SurgeTriggerView.as_view(),
        name="surge-trigger",
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
