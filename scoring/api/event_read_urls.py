from django.urls import path

from scoring.api import event_read_views as views

urlpatterns = [
    path("events/delete", views.EventsDeleteView.as_view(), name="events-delete"),
    path("events/types", views.EventTypesView.as_view(), name="event-types"),
    path(
        "events/types/<path:event_type>/properties",
        views.EventTypePropertiesView.as_view(),
        name="event-type-properties",
    ),
    path("events/channels", views.EventChannelsView.as_view(), name="event-channels"),
    path("events/export", views.EventsExportView.as_view(), name="events-export"),
    path("leads/<str:lead_id>/events", views.LeadEventsView.as_view(), name="lead-events"),
    path("leads/<str:lead_id>/activity", views.LeadActivityView.as_view(), name="lead-activity"),
    path("orders", views.OrdersView.as_view(), name="orders"),
]
