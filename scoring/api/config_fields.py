"""Serializer fields shared by the scoring configuration routes."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leadvibe.api.fields import StrictCharField

# Bounds that keep every value inside its column, and scores inside a 32-bit integer.
MAX_WEIGHT = 1_000_000
MAX_SCORE_BOUND = 1_000_000_000


class WholeNumberField(serializers.IntegerField):
    """A JSON number without a fractional part (`5`, `-3`, `2.0`); `2.5`, text and booleans
    are refused."""

    default_error_messages = {"whole": "Must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("whole")
        if isinstance(data, float):
            if not data.is_integer():
                self.fail("whole")
            data = int(data)
        return data


class EventTypeField(StrictCharField):
    """An event type as events carry it: 1 to 100 printable characters, case-sensitive."""

    default_error_messages = {"printable": "Must be 1 to 100 printable characters."}

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "1 to 100 printable characters, case-sensitive")
        super().__init__(max_length=100, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value.isprintable():
            self.fail("printable")
        return value


@extend_schema_field({"type": "string"})
class PublicKeyField(serializers.Field):
    """Renders a bigint key as the public id of its kind of object (`rs_12`)."""

    def __init__(self, prefix: str, **kwargs):
        self.prefix = prefix
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return f"{self.prefix}{value}"
