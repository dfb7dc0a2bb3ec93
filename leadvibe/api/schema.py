"""The OpenAPI document's shared parts: every operation lists the error answers a client can
get, each in the one error shape of `leadvibe.api.errors`; every request string states what DRF
refuses in it."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_patched_serializer
from rest_framework import serializers

# DRF refuses NUL characters in any string, and trims Python's str.strip() whitespace before
# it checks for a blank one. (ECMA regex `\s` differs from that whitespace: it omits U+001C to
# U+001F and U+0085 and includes U+FEFF, so the class is spelled out.)
WHITESPACE = r"\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_NUL = r"^[^\x00]*$"
NO_NUL_NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"


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

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if is_patched_serializer(serializer, direction):
            # A field a partial update leaves out keeps its value: no default applies.
            for field_schema in schema.get("properties", {}).values():
                for alternative in [field_schema, *field_schema.get("oneOf", [])]:
                    alternative.pop("default", None)
        return schema


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


class StrictCharFieldExtension(OpenApiSerializerFieldExtension):
    """What DRF refuses in a request string, as a pattern: NUL characters, and (unless the field
    allows blank) a string of only whitespace, which is blank once trimmed, or one shorter than
    `min_length` once trimmed."""

    target_class = "leadvibe.api.fields.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and "pattern" not in schema:
            schema["pattern"] = _request_string_pattern(self.target)
        return schema


def _request_string_pattern(field) -> str:
    if not field.trim_whitespace or field.allow_blank:
        return NO_NUL
    least = max(field.min_length or 1, 1)
    if least == 1:
        return NO_NUL_NOT_BLANK
    # Trimmed to at least `least` characters: from the first to the last non-whitespace one.
    visible = rf"[^\x00{WHITESPACE}]"
    return rf"^[^\x00]*{visible}[^\x00]{{{least - 2},}}{visible}[^\x00]*$"
