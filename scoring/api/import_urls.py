from django.urls import path

from scoring.api import import_views as views

urlpatterns = [
    path("events/import", views.EventImportView.as_view(), name="events-import"),
    path(
        "events/imports/<str:job_id>", views.EventImportJobView.as_view(), name="events-import-job"
    ),
]
