"""The OU's webhook signing secret (Standard Webhooks, `whsec_...`): shown once, rotatable.
Members' JWT only, Operators and up, for reading as well (the first read shows the secret)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from orgunits.api.base import ApiView, Role
from triggers.services.webhook_secret import (
    ROTATION_OVERLAP,
    reveal_webhook_secret,
    rotate_webhook_secret,
)

OVERLAP_HOURS = int(ROTATION_OVERLAP.total_seconds() // 3600)


class WebhookSecretOutput(serializers.Serializer):
    secret = StrictCharField(allow_null=True, help_text="`whsec_...`; null once it has been shown")
    revealed_at = RFC3339DateTimeField(allow_null=True, help_text="When it was first shown")
    created_at = RFC3339DateTimeField()
    rotated_at = RFC3339DateTimeField(allow_null=True)
    previous_expires_at = RFC3339DateTimeField(
        allow_null=True,
        help_text="While a rotation overlaps: until when the previous secret signs too",
    )


class WebhookSecretApiView(ApiView):
    jwt_only = True
    read_role = Role.OPERATOR

    def _secret_response(self, description: dict) -> Response:
        # Cache-Control: no-store comes from SecurityHeadersMiddleware (NO_STORE_PATH_PREFIXES).
        return Response(WebhookSecretOutput(description).data)


class WebhookSecretView(WebhookSecretApiView):
    @extend_schema(
        responses=WebhookSecretOutput,
        summary="Get the OU's webhook signing secret",
        description=(
            "Webhooks are signed per Standard Webhooks (`webhook-signature: v1,<base64 "
            "HMAC-SHA256>`) with this secret. The first call shows it (and creates it when "
            "the OU has none yet); later calls answer only its dates. Rotate to get a new one."
        ),
    )
    def get(self, request):
        return self._secret_response(reveal_webhook_secret(request.ou))


class WebhookSecretRotateView(WebhookSecretApiView):
    @extend_schema(
        request=None,
        responses=WebhookSecretOutput,
        summary="Rotate the OU's webhook signing secret",
        description=(
            f"A new secret, shown in this answer only. For {OVERLAP_HOURS} hours the previous "
            "secret signs too (one signature per secret in `webhook-signature`), so receivers "
            "can switch without missing a delivery."
        ),
    )
    def post(self, request):
        return self._secret_response(rotate_webhook_secret(request.ou))
