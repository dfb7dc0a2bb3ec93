from rest_framework import serializers

from leadvibe.timefmt import TimestampOutOfRange, parse_rfc3339, to_rfc3339


class RFC3339DateTimeField(serializers.DateTimeField):
    """Accepts only timestamps with an offset; renders them in UTC with `Z`. A field with
    narrower bounds overrides the `out_of_range` message to state them."""

    default_error_messages = {
        "invalid": "Must be an RFC 3339 timestamp with an offset, e.g. {example}.",
        "out_of_range": "Must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", example="2025-08-15T12:00:00Z")
        try:
            return parse_rfc3339(value)
        except TimestampOutOfRange:
            self.fail("out_of_range")
        except ValueError:
            self.fail("invalid", example="2025-08-15T12:00:00Z")

    def to_representation(self, value):
        return to_rfc3339(value) if value else None
