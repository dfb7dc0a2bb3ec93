from django.urls import path

from scoring.api import event_views

urlpatterns = [
    path("events", event_views.EventsView.as_view(), name="events"),
    path("events/batch", event_views.EventBatchView.as_view(), name="events-batch"),
]
