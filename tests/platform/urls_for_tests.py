"""The real URL conf plus views that exercise platform behaviour no product route shows yet."""

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from leadvibe.api.fields import RFC3339DateTimeField
from leadvibe.api.pagination import bare_list_response, envelope_response, page_request_from
from leadvibe.urls import urlpatterns as product_urlpatterns

ITEMS = [{"n": n} for n in range(1, 124)]


class PublicTestView(APIView):
    # DRF fails closed (DEFAULT_PERMISSION_CLASSES); these views test what comes after it.
    permission_classes = [AllowAny]


class CrashView(PublicTestView):
    def get(self, request):
        raise RuntimeError("a bug")


class EnvelopeView(PublicTestView):
    def get(self, request):
        page = page_request_from(request.query_params)
        return envelope_response(page.slice(ITEMS), key="items", total=len(ITEMS), page=page)


class BareListView(PublicTestView):
    def get(self, request):
        page = page_request_from(request.query_params)
        return bare_list_response(page.slice(ITEMS), total=len(ITEMS))


class EchoTimeView(PublicTestView):
    class Input(serializers.Serializer):
        at = RFC3339DateTimeField()

    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"at": data.validated_data["at"]})


def plain_crash_view(request):
    raise RuntimeError("a bug outside DRF")


urlpatterns = [
    path("api/v1/_test/crash", CrashView.as_view()),
    path("api/v1/_test/plain-crash", plain_crash_view),
    path("api/v1/_test/envelope", EnvelopeView.as_view()),
    path("api/v1/_test/bare", BareListView.as_view()),
    path("api/v1/_test/time", EchoTimeView.as_view()),
    *product_urlpatterns,
]

handler404 = "leadvibe.api.errors.not_found_view"
handler500 = "leadvibe.api.errors.server_error_view"
