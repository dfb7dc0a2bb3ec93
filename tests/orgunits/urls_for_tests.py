"""The product's URL conf plus an OU-scoped route open to API credentials, standing in for the
ingest routes that later issues add."""

from django.urls import path
from rest_framework.response import Response

from leadvibe.urls import urlpatterns as product_urlpatterns
from orgunits.api.base import ApiView


class WhoAmIView(ApiView):
    def get(self, request):
        return Response({"ou_id": request.ou.id, "org_id": request.org.id})

    def post(self, request):
        return Response({"written": True})


urlpatterns = [path("api/v1/_test/whoami", WhoAmIView.as_view()), *product_urlpatterns]
