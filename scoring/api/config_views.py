"""Scoring configuration resources: rulesets and their rules, decay rules, inorganic
(velocity) filters and attribute (metadata) filters, declared as `ConfigResource`s.

Objects are named by public ids (`rs_`, `rl_`, `dc_`, `if_`, `af_` and a number); an id of
another OU answers 404. Viewers read, Operators write; every write bumps the OU's
configuration version, which workers pick up before their next batch. PUT changes only the
fields it is given.
"""

import math

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.config_resource import ConfigObjectOutput, ConfigResource, ResourceDocs
from leadvibe.api.fields import (
    RFC3339DateTimeField,
    StrictBooleanField,
    StrictCharField,
    WholeItemsField,
)
from leadvibe.api.query import QueryParameters
from orgunits.api.base import ApiView
from scoring.api.config_fields import MAX_WEIGHT, EventTypeField, PublicKeyField, WholeNumberField
from scoring.engine.conditions import OPERATORS
from scoring.models import AttributeFilter, DecayRule, InorganicFilter, Ruleset
from scoring.selectors.config import (
    attribute_filters_list,
    decays_list,
    inorganic_filters_list,
    rules_list,
    rulesets_list,
)
from scoring.services import decays, filters, rulesets

MAX_CONDITIONS = 20
MAX_CONDITION_LIST = 100
MAX_CONDITION_TEXT = 1000
MAX_WINDOW_MS = 366 * 24 * 3600 * 1000
VALUELESS_CONDITIONS = ("exists", "not_exists")


# --- Rulesets -------------------------------------------------------------------------------


class RulesetOutput(ConfigObjectOutput):
    ruleset_id = StrictCharField(source="public_id", help_text="`rs_<n>`")
    name = StrictCharField()
    score_column = StrictCharField()
    is_primary = StrictBooleanField()
    active = StrictBooleanField()


class RulesetInput(serializers.Serializer):
    name = StrictCharField(max_length=100, help_text="1 to 100 characters, unique in the OU")
    score_column = StrictCharField(max_length=100, default="total_score")
    is_primary = StrictBooleanField(
        default=False,
        help_text="The OU's primary ruleset (levels, default sorting and default scores use "
        "it). Making one primary takes it from the others; the first ruleset of an OU is "
        "primary whatever this says.",
    )
    active = StrictBooleanField(default=True, help_text="Inactive rulesets do not score")


RULESETS = ConfigResource(
    name="Ruleset",
    base=ApiView,
    input=RulesetInput,
    output=RulesetOutput,
    selector=rulesets_list,
    create=rulesets.ruleset_create,
    update=rulesets.ruleset_update,
    delete=rulesets.ruleset_delete,
    docs=ResourceDocs(
        noun="scoring ruleset",
        on_list="The OU's rulesets, oldest first.",
        on_create="409 when the OU has a ruleset of this name already.",
        on_update="`is_primary: true` moves the primary role here; `is_primary: false` on the "
        "primary ruleset is a 400 (make another one primary instead).",
        on_delete="Deletes its rules and its scores. When it was the primary ruleset, the "
        "oldest remaining one becomes primary.",
    ),
)


# --- Rules ----------------------------------------------------------------------------------


class RuleOutput(ConfigObjectOutput):
    rule_id = StrictCharField(source="public_id", help_text="`rl_<n>`")
    ruleset_id = PublicKeyField(Ruleset.ID_PREFIX)
    event_type = StrictCharField()
    weight = serializers.IntegerField()
    icon = StrictCharField()
    active = StrictBooleanField()
    start_at = RFC3339DateTimeField(allow_null=True)
    end_at = RFC3339DateTimeField(allow_null=True)


class RuleInput(serializers.Serializer):
    ruleset_id = StrictCharField(
        max_length=40,
        allow_null=True,
        default=None,
        help_text="A ruleset of the OU (404 otherwise); left out or null: the primary one "
        "(400 when the OU has no ruleset)",
    )
    event_type = EventTypeField()
    weight = WholeNumberField(
        min_value=-MAX_WEIGHT,
        max_value=MAX_WEIGHT,
        help_text="Points per matching event: a whole number, may be negative",
    )
    icon = StrictCharField(max_length=50, allow_blank=True, default="")
    active = StrictBooleanField(default=True)
    start_at = RFC3339DateTimeField(
        allow_null=True, default=None, help_text="Events from this time on (null: always)"
    )
    end_at = RFC3339DateTimeField(
        allow_null=True,
        default=None,
        help_text="Events before this time (null: no end); must be later than start_at",
    )


RULE_WINDOW = (
    "A rule adds its weight to each event of its type (case-sensitive) whose time lies in "
    "`[start_at, end_at)`; 400 unless start_at < end_at."
)


class RuleListQuery(QueryParameters):
    ruleset_id = StrictCharField(
        required=False,
        max_length=40,
        help_text="Only this ruleset's rules (404 when the OU has no such ruleset)",
    )


RULES = ConfigResource(
    name="Rule",
    base=ApiView,
    input=RuleInput,
    output=RuleOutput,
    selector=rules_list,
    create=rulesets.rule_create,
    update=rulesets.rule_update,
    delete=rulesets.rule_delete,
    docs=ResourceDocs(
        noun="scoring rule",
        on_list="All rules of the OU (`ruleset_id`: of one ruleset), by ruleset, oldest first.",
        about=RULE_WINDOW,
        on_update="`ruleset_id` moves the rule.",
        on_delete="Points it gave stay until the ruleset is rescored.",
    ),
    list_query=RuleListQuery,
)


class RulesetRulesView(ApiView):
    @extend_schema(
        responses=RuleOutput(many=True),
        summary="List the rules of a ruleset (OU-scoped)",
        description="404 when the OU has no such ruleset.",
    )
    def get(self, request, ruleset_id):
        rules = rules_list(ou=request.ou, ruleset_id=ruleset_id)
        return Response(RuleOutput(rules, many=True).data)


# --- Decay rules ----------------------------------------------------------------------------


class DecayOutput(ConfigObjectOutput):
    decay_id = StrictCharField(source="public_id", help_text="`dc_<n>`")
    inactive_for = serializers.IntegerField()
    unit = StrictCharField(source="time_unit", help_text="hours, days or weeks")
    decrease = serializers.IntegerField()


class DecayInput(serializers.Serializer):
    inactive_for = WholeNumberField(
        min_value=1, max_value=100_000, help_text="Duration amount, in `unit`s"
    )
    unit = serializers.ChoiceField(choices=DecayRule.Unit.choices, source="time_unit")
    decrease = WholeNumberField(
        min_value=1, max_value=MAX_WEIGHT, help_text="Score decrease per full period"
    )


DECAY_RULE = (
    "While a lead has no unsuppressed event, every full `inactive_for` `unit`s since its last "
    "one lower its score in each active ruleset by `decrease` (never below 0 unless the "
    "organization allows negative scores), recorded as a system `DECAY` event."
)


DECAYS = ConfigResource(
    name="Decay",
    base=ApiView,
    input=DecayInput,
    output=DecayOutput,
    selector=decays_list,
    create=decays.decay_create,
    update=decays.decay_update,
    delete=decays.decay_delete,
    docs=ResourceDocs(
        noun="score decay rule",
        about=DECAY_RULE,
        on_delete="Points it already took stay taken.",
    ),
)


# --- Inorganic (velocity) filters -----------------------------------------------------------


class InorganicFilterOutput(ConfigObjectOutput):
    filter_id = StrictCharField(source="public_id", help_text=f"`{InorganicFilter.ID_PREFIX}<n>`")
    event_type = StrictCharField()
    count_threshold = serializers.IntegerField()
    time_window_ms = serializers.IntegerField()
    group_events = StrictBooleanField()


class InorganicFilterInput(serializers.Serializer):
    event_type = EventTypeField()
    count_threshold = WholeNumberField(
        min_value=1, max_value=1_000_000, help_text="Events allowed in the window"
    )
    time_window_ms = WholeNumberField(
        min_value=1, max_value=MAX_WINDOW_MS, help_text="Rolling window, milliseconds"
    )
    group_events = StrictBooleanField(
        default=False, help_text="Keep the first event of a burst, take back the rest"
    )


INORGANIC_RULE = (
    "When more than `count_threshold` of a lead's events of `event_type` fall within "
    "`time_window_ms` (the event itself included), the event is suppressed: kept, scored 0. "
    "With `group_events` a burst scores as one event."
)


INORGANIC_FILTERS = ConfigResource(
    name="InorganicFilter",
    base=ApiView,
    input=InorganicFilterInput,
    output=InorganicFilterOutput,
    selector=inorganic_filters_list,
    create=filters.inorganic_filter_create,
    update=filters.inorganic_filter_update,
    delete=filters.inorganic_filter_delete,
    docs=ResourceDocs(noun="inorganic filter", about=INORGANIC_RULE),
)


# --- Attribute (metadata) filters -----------------------------------------------------------


class ConditionValueField(serializers.JSONField):
    """Text, a number, a boolean, or a list of those (for `in` / `not_in`)."""

    default_error_messages = {
        "shape": "Must be text, a number, a boolean or a list of those.",
        "long": f"Text of at most {MAX_CONDITION_TEXT} characters, lists of at most "
        f"{MAX_CONDITION_LIST} items.",
    }

    def to_internal_value(self, data):
        items = data if isinstance(data, list) else [data]
        if isinstance(data, list) and len(data) > MAX_CONDITION_LIST:
            self.fail("long")
        for item in items:
            if isinstance(item, float) and not math.isfinite(item):
                self.fail("shape")
            if not isinstance(item, str | int | float | bool):
                self.fail("shape")
            if isinstance(item, str) and len(item) > MAX_CONDITION_TEXT:
                self.fail("long")
        return data


class ConditionInput(serializers.Serializer):
    property = StrictCharField(
        max_length=200, help_text="Metadata key; a dotted path reads nested objects"
    )
    condition = serializers.ChoiceField(choices=OPERATORS)
    value = ConditionValueField(
        required=False,
        allow_null=True,
        help_text="Compared with the property; required except for exists / not_exists",
    )

    def validate(self, attrs):
        if attrs["condition"] in VALUELESS_CONDITIONS:
            attrs["value"] = None
        elif attrs.get("value") is None:
            raise serializers.ValidationError(
                {"value": [f"Required for the condition {attrs['condition']!r}."]}
            )
        return attrs


class ConditionOutput(serializers.Serializer):
    property = StrictCharField()
    condition = StrictCharField()
    value = serializers.JSONField(allow_null=True)


class AttributeFilterOutput(ConfigObjectOutput):
    filter_id = StrictCharField(source="public_id", help_text=f"`{AttributeFilter.ID_PREFIX}<n>`")
    name = StrictCharField()
    event_type = StrictCharField(allow_null=True, help_text="null: events of any type")
    conditions = ConditionOutput(many=True)
    active = StrictBooleanField()


class AttributeFilterInput(serializers.Serializer):
    name = StrictCharField(max_length=100)
    event_type = EventTypeField(
        allow_null=True, default=None, help_text="Only events of this type; null: any type"
    )
    conditions = WholeItemsField(
        child=ConditionInput(),
        min_length=1,
        max_length=MAX_CONDITIONS,
        help_text=f"1 to {MAX_CONDITIONS} conditions on event metadata, all of which must hold",
    )
    active = StrictBooleanField(default=True)


ATTRIBUTE_RULE = (
    "An active filter suppresses an event (of its `event_type`, or of any type when null) "
    "whose metadata meets all its conditions: the event is kept and scores 0. Conditions: "
    f"{', '.join(OPERATORS)}; numbers compare numerically, text case-insensitively, and a "
    "missing property meets only the negative ones. Filters run before inorganic filters."
)


ATTRIBUTE_FILTERS = ConfigResource(
    name="AttributeFilter",
    base=ApiView,
    input=AttributeFilterInput,
    output=AttributeFilterOutput,
    selector=attribute_filters_list,
    create=filters.attribute_filter_create,
    update=filters.attribute_filter_update,
    delete=filters.attribute_filter_delete,
    docs=ResourceDocs(
        noun="attribute filter",
        about=ATTRIBUTE_RULE,
        on_update="`conditions` replaces them all.",
    ),
)
