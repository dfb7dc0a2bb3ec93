"""Serializer fields and shapes shared by the trigger configuration routes."""

import math

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scoring.api.config_fields import EventTypeField, WholeNumberField
from scoring.api.config_views import VALUELESS_CONDITIONS, ConditionValueField
from scoring.engine.conditions import OPERATORS
from triggers.models import Trigger

MAX_WINDOW_SECONDS = 90 * 24 * 3600
MAX_COUNT = 1_000_000
MAX_METADATA_MATCHES = 20
MAX_METADATA_TEXT = 1000
MAX_METADATA_KEY = 200
MAX_COOLDOWN_SECONDS = 365 * 24 * 3600


class NullAsBlankMixin:
    """Optional text where `null` and `""` both mean none (stored as `""`)."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, allow_null=True, **kwargs)

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)
        return "" if value is None else value


class OptionalTextField(NullAsBlankMixin, serializers.CharField):
    pass


class OptionalChoiceField(NullAsBlankMixin, serializers.ChoiceField):
    pass


class OptionalEventTypeField(NullAsBlankMixin, EventTypeField):
    pass


class OutboundURLField(NullAsBlankMixin, serializers.CharField):
    """An http(s) URL we will call (the SSRF guard checks its host when it is saved)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=2000, **kwargs)
        self.validators.append(
            URLValidator(schemes=["http", "https"], message="Must be an http or https URL.")
        )


@extend_schema_field({"type": "string", "nullable": True})
class BlankAsNullField(serializers.CharField):
    """Renders `""` (none) as null."""

    def to_representation(self, value):
        return value or None


class WindowSecondsField(WholeNumberField):
    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "The rolling window, always in seconds (1 to 7,776,000: 90 days); `window_unit` "
            "only records the unit it is shown in",
        )
        super().__init__(min_value=1, max_value=MAX_WINDOW_SECONDS, **kwargs)


class FireModeField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Trigger.FireMode.choices, default=Trigger.FireMode.ONCE, **kwargs)


class CooldownSecondsField(WholeNumberField):
    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", "With `always`: at most one firing per lead within this many seconds"
        )
        super().__init__(min_value=0, max_value=MAX_COOLDOWN_SECONDS, default=0, **kwargs)


class WindowUnitField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The unit the window is shown in (display only)")
        super().__init__(choices=Trigger.WindowUnit.choices, **kwargs)


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]})
class ScalarField(serializers.Field):
    """Text, a number or a boolean."""

    default_error_messages = {
        "scalar": "Must be text, a number or a boolean.",
        "long": f"Text of at most {MAX_METADATA_TEXT} characters.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str | int | float | bool):
            self.fail("scalar")
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("scalar")
        if isinstance(data, str) and len(data) > MAX_METADATA_TEXT:
            self.fail("long")
        return data

    def to_representation(self, value):
        return value


class MetadataMatchField(serializers.DictField):
    """Top-level metadata keys and the exact values they must have."""

    default_error_messages = {
        "long": f"At most {MAX_METADATA_MATCHES} keys of at most {MAX_METADATA_KEY} characters."
    }

    def __init__(self, **kwargs):
        super().__init__(child=ScalarField(), **kwargs)

    def to_internal_value(self, data):
        matches = super().to_internal_value(data)
        if len(matches) > MAX_METADATA_MATCHES or any(
            len(key) > MAX_METADATA_KEY for key in matches
        ):
            self.fail("long")
        return matches


class PatternConditionSerializer(serializers.Serializer):
    event_type = EventTypeField()
    min_count = WholeNumberField(
        min_value=1, max_value=MAX_COUNT, help_text="Events of the type needed in the window"
    )
    metadata = MetadataMatchField(
        default=dict,
        help_text="Only events whose metadata has each of these top-level keys with exactly "
        "this value (text, number or boolean) count",
    )


class LeadFilterInput(serializers.Serializer):
    """`{"field" (or "key"), "operator", "value"}`, stored with `field`."""

    field = serializers.CharField(
        max_length=200, required=False, help_text="What to compare (`key` is accepted too)"
    )
    key = serializers.CharField(max_length=200, required=False, write_only=True)
    operator = serializers.ChoiceField(choices=OPERATORS)
    value = ConditionValueField(
        required=False,
        allow_null=True,
        help_text="Compared with the field; required except for exists / not_exists",
    )

    def validate(self, attrs):
        field = attrs.pop("field", None) or attrs.pop("key", None)
        if field is None:
            raise serializers.ValidationError({"field": ["This field is required."]})
        if attrs["operator"] in VALUELESS_CONDITIONS:
            value = None
        elif attrs.get("value") is None:
            raise serializers.ValidationError(
                {"value": [f"Required for the operator {attrs['operator']!r}."]}
            )
        else:
            value = attrs["value"]
        return {"field": field, "operator": attrs["operator"], "value": value}


class LeadFilterOutput(serializers.Serializer):
    field = serializers.CharField()
    operator = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
