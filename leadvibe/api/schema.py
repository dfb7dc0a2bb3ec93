"""The OpenAPI document's view of errors: every operation lists the error answers a client can
get, each in the one error shape of `leadvibe.api.errors`."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorOut(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    error = serializers.CharField(help_text="What went wrong, for a person to read.")
    details = serializers.DictField(
        required=False, help_text="Per-field messages (validation errors) or other context."
    )


ERRORS_OF_EVERY_OPERATION = {
    "400": "Invalid parameters or body, or no active OU where one is needed.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "Authenticated, but the role or the kind of credential does not allow this.",
    "404": "No such object in the caller's active OU.",
    "429": "Rate limit exceeded (enforce mode); `Retry-After` says when to try again.",
}
ERRORS_OF_WRITES = {
    "409": "The request conflicts with the current state (for example an id already taken).",
    "413": "The body, or a part of it, is larger than allowed.",
    "415": "The body's media type is not one this operation reads.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(ERRORS_OF_EVERY_OPERATION)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(ERRORS_OF_WRITES)
        for code, description in errors.items():
            if code not in responses:
                responses[code] = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": self.resolve_serializer(ErrorOut, direction).ref
                        }
                    },
                }
        return responses


def error_responses(descriptions: dict[str, str]) -> dict:
    """The error answers of an operation documented by hand (a schema hook for a view DRF does
    not see), in the one error shape; every document has the ErrorOut component, since every
    DRF operation lists it."""
    return {
        code: {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
        for code, description in descriptions.items()
    }
