from django.urls import include, path

urlpatterns = [
    path("", include("triggers.api.trigger_urls")),
    path("", include("triggers.api.slack_urls")),
]
