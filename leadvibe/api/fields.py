"""Serializer fields of the API.

A body field reads only the JSON type the OpenAPI document gives it: DRF's own CharField turns
`0` into `"0"` and its BooleanField takes `0`, `"yes"` or `"true"`, which the document
(`type: string`, `type: boolean`) does not allow, so a client would learn a contract the
document does not state.
"""

import copy

from rest_framework import serializers

from leadvibe.timefmt import TimestampOutOfRange, parse_rfc3339, to_rfc3339


class StrictCharField(serializers.CharField):
    """A JSON string, and only a string (no number turned into one). Query parameters are
    strings anyway, so the field serves them too."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON `true` or `false`, and nothing DRF would read as one (`0`, `"yes"`, `"true"`). For
    bodies only: a query parameter is a string."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


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


class WholeItemsField(serializers.ListField):
    """A list of nested objects, each validated whole also in a partial update (a PUT that
    changes only the fields it is given): DRF lets the root serializer's `partial` skip the
    required fields and defaults of every field below it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A copy is unbound (DRF rebuilds a field from its arguments): its own root, which is
        # never partial.
        self.child = copy.deepcopy(self.child)
