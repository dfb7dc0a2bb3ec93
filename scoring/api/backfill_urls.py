from django.urls import path

from scoring.api import backfill_views as views

urlpatterns = [
    path("admin/backfill/accounts", views.AccountBackfillView.as_view(), name="backfill-accounts"),
    path(
        "admin/backfill/event-accounts",
        views.EventBackfillView.as_view(),
        name="backfill-event-accounts",
    ),
]
