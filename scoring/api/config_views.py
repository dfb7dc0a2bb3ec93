"""Scoring configuration routes: rulesets and their rules, decay rules, inorganic (velocity)
filters and attribute (metadata) filters.

Objects are named by public ids (`rs_`, `rl_`, `dc_`, `if_`, `af_` and a number); an id of
another OU answers 404. Viewers read, Operators write; every write bumps the OU's
configuration version, which workers pick up before their next batch. PUT changes only the
fields it is given.
"""

import math

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictBooleanField, StrictCharField
from orgunits.api.base import ApiView
from scoring.api.config_fields import (
    MAX_WEIGHT,
    EventTypeField,
    PublicKeyField,
    WholeNumberField,
    partial_serializer,
)
from scoring.engine.conditions import OPERATORS
from scoring.models import AttributeFilter, DecayRule, InorganicFilter, Ruleset
from scoring.selectors.config import (
    attribute_filters_list,
    decays_list,
    inorganic_filters_list,
    rules_list,
    ruleset_rules_list,
    rulesets_list,
)
from scoring.services import decays, filters, rulesets

MAX_CONDITIONS = 20
MAX_CONDITION_LIST = 100
MAX_CONDITION_TEXT = 1000
MAX_WINDOW_MS = 366 * 24 * 3600 * 1000
VALUELESS_CONDITIONS = ("exists", "not_exists")


class ConfigObjectOutput(serializers.Serializer):
    org_id = StrictCharField()
    unit_id = StrictCharField()
    created_at = RFC3339DateTimeField()
    updated_at = RFC3339DateTimeField()
    created_by = StrictCharField(
        source="created_by_id", allow_null=True, help_text="Member id; null for API credentials"
    )
    updated_by = StrictCharField(source="updated_by_id", allow_null=True)


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


RulesetUpdateInput = partial_serializer(RulesetInput, "RulesetUpdateInput")


class RulesetsView(ApiView):
    @extend_schema(
        responses=RulesetOutput(many=True),
        summary="List scoring rulesets (OU-scoped)",
        description="The OU's rulesets, oldest first.",
    )
    def get(self, request):
        return Response(RulesetOutput(rulesets_list(ou=request.ou), many=True).data)

    @extend_schema(
        request=RulesetInput,
        responses={201: RulesetOutput},
        summary="Create a scoring ruleset (OU-scoped)",
        description="409 when the OU has a ruleset of this name already.",
    )
    def post(self, request):
        data = RulesetInput(data=request.data)
        data.is_valid(raise_exception=True)
        ruleset = rulesets.ruleset_create(
            ou=request.ou, member=request.member, **data.validated_data
        )
        return Response(RulesetOutput(ruleset).data, status=status.HTTP_201_CREATED)


class RulesetView(ApiView):
    @extend_schema(
        request=RulesetUpdateInput,
        responses=RulesetOutput,
        summary="Update a scoring ruleset (OU-scoped)",
        description=(
            "Fields left out keep their values. `is_primary: true` moves the primary role "
            "here; `is_primary: false` on the primary ruleset is a 400 (make another one "
            "primary instead)."
        ),
    )
    def put(self, request, ruleset_id):
        data = RulesetUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        ruleset = rulesets.ruleset_update(
            ou=request.ou, member=request.member, ruleset_id=ruleset_id, **data.validated_data
        )
        return Response(RulesetOutput(ruleset).data)

    @extend_schema(
        responses={204: None},
        summary="Delete a scoring ruleset (OU-scoped)",
        description=(
            "Deletes its rules and its scores. When it was the primary ruleset, the oldest "
            "remaining one becomes primary."
        ),
    )
    def delete(self, request, ruleset_id):
        rulesets.ruleset_delete(ou=request.ou, ruleset_id=ruleset_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


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


RuleUpdateInput = partial_serializer(RuleInput, "RuleUpdateInput")

RULE_WINDOW = (
    "A rule adds its weight to each event of its type (case-sensitive) whose time lies in "
    "`[start_at, end_at)`; 400 unless start_at < end_at."
)


class RulesView(ApiView):
    @extend_schema(
        responses=RuleOutput(many=True),
        summary="List scoring rules (OU-scoped)",
        description="All rules of the OU, by ruleset, oldest first.",
    )
    def get(self, request):
        return Response(RuleOutput(rules_list(ou=request.ou), many=True).data)

    @extend_schema(
        request=RuleInput,
        responses={201: RuleOutput},
        summary="Create a scoring rule (OU-scoped)",
        description=RULE_WINDOW,
    )
    def post(self, request):
        data = RuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        rule = rulesets.rule_create(ou=request.ou, member=request.member, **data.validated_data)
        return Response(RuleOutput(rule).data, status=status.HTTP_201_CREATED)


class RuleView(ApiView):
    @extend_schema(
        request=RuleUpdateInput,
        responses=RuleOutput,
        summary="Update a scoring rule (OU-scoped)",
        description=f"Fields left out keep their values; `ruleset_id` moves the rule. "
        f"{RULE_WINDOW}",
    )
    def put(self, request, rule_id):
        data = RuleUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        rule = rulesets.rule_update(
            ou=request.ou, member=request.member, rule_id=rule_id, **data.validated_data
        )
        return Response(RuleOutput(rule).data)

    @extend_schema(
        responses={204: None},
        summary="Delete a scoring rule (OU-scoped)",
        description="Points it gave stay until the ruleset is rescored.",
    )
    def delete(self, request, rule_id):
        rulesets.rule_delete(ou=request.ou, rule_id=rule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RulesetRulesView(ApiView):
    @extend_schema(
        responses=RuleOutput(many=True),
        summary="List the rules of a ruleset (OU-scoped)",
        description="404 when the OU has no such ruleset.",
    )
    def get(self, request, ruleset_id):
        rules = ruleset_rules_list(ou=request.ou, ruleset_id=ruleset_id)
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


DecayUpdateInput = partial_serializer(DecayInput, "DecayUpdateInput")

DECAY_RULE = (
    "While a lead has no unsuppressed event, every full `inactive_for` `unit`s since its last "
    "one lower its score in each active ruleset by `decrease` (never below 0 unless the "
    "organization allows negative scores), recorded as a system `DECAY` event."
)


class DecaysView(ApiView):
    @extend_schema(
        responses=DecayOutput(many=True),
        summary="List score decay rules (OU-scoped)",
        description=DECAY_RULE,
    )
    def get(self, request):
        return Response(DecayOutput(decays_list(ou=request.ou), many=True).data)

    @extend_schema(
        request=DecayInput,
        responses={201: DecayOutput},
        summary="Create a score decay rule (OU-scoped)",
        description=DECAY_RULE,
    )
    def post(self, request):
        data = DecayInput(data=request.data)
        data.is_valid(raise_exception=True)
        decay = decays.decay_create(ou=request.ou, member=request.member, **data.validated_data)
        return Response(DecayOutput(decay).data, status=status.HTTP_201_CREATED)


class DecayView(ApiView):
    @extend_schema(
        request=DecayUpdateInput,
        responses=DecayOutput,
        summary="Update a score decay rule (OU-scoped)",
        description="Fields left out keep their values.",
    )
    def put(self, request, decay_id):
        data = DecayUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        decay = decays.decay_update(
            ou=request.ou, member=request.member, decay_id=decay_id, **data.validated_data
        )
        return Response(DecayOutput(decay).data)

    @extend_schema(
        responses={204: None},
        summary="Delete a score decay rule (OU-scoped)",
        description="Points it already took stay taken.",
    )
    def delete(self, request, decay_id):
        decays.decay_delete(ou=request.ou, decay_id=decay_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


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


InorganicFilterUpdateInput = partial_serializer(InorganicFilterInput, "InorganicFilterUpdateInput")

INORGANIC_RULE = (
    "When more than `count_threshold` of a lead's events of `event_type` fall within "
    "`time_window_ms` (the event itself included), the event is suppressed: kept, scored 0. "
    "With `group_events` a burst scores as one event."
)


class InorganicFiltersView(ApiView):
    @extend_schema(
        responses=InorganicFilterOutput(many=True),
        summary="List inorganic filters (OU-scoped)",
        description=INORGANIC_RULE,
    )
    def get(self, request):
        return Response(
            InorganicFilterOutput(inorganic_filters_list(ou=request.ou), many=True).data
        )

    @extend_schema(
        request=InorganicFilterInput,
        responses={201: InorganicFilterOutput},
        summary="Create an inorganic filter (OU-scoped)",
        description=INORGANIC_RULE,
    )
    def post(self, request):
        data = InorganicFilterInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = filters.inorganic_filter_create(
            ou=request.ou, member=request.member, **data.validated_data
        )
        return Response(InorganicFilterOutput(created).data, status=status.HTTP_201_CREATED)


class InorganicFilterView(ApiView):
    @extend_schema(
        request=InorganicFilterUpdateInput,
        responses=InorganicFilterOutput,
        summary="Update an inorganic filter (OU-scoped)",
        description="Fields left out keep their values.",
    )
    def put(self, request, filter_id):
        data = InorganicFilterUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        updated = filters.inorganic_filter_update(
            ou=request.ou, member=request.member, filter_id=filter_id, **data.validated_data
        )
        return Response(InorganicFilterOutput(updated).data)

    @extend_schema(responses={204: None}, summary="Delete an inorganic filter (OU-scoped)")
    def delete(self, request, filter_id):
        filters.inorganic_filter_delete(ou=request.ou, filter_id=filter_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    conditions = serializers.ListField(
        child=ConditionInput(),
        min_length=1,
        max_length=MAX_CONDITIONS,
        help_text=f"1 to {MAX_CONDITIONS} conditions on event metadata, all of which must hold",
    )
    active = StrictBooleanField(default=True)


AttributeFilterUpdateInput = partial_serializer(AttributeFilterInput, "AttributeFilterUpdateInput")

ATTRIBUTE_RULE = (
    "An active filter suppresses an event (of its `event_type`, or of any type when null) "
    "whose metadata meets all its conditions: the event is kept and scores 0. Conditions: "
    f"{', '.join(OPERATORS)}; numbers compare numerically, text case-insensitively, and a "
    "missing property meets only the negative ones. Filters run before inorganic filters."
)


class AttributeFiltersView(ApiView):
    @extend_schema(
        responses=AttributeFilterOutput(many=True),
        summary="List attribute filters (OU-scoped)",
        description=ATTRIBUTE_RULE,
    )
    def get(self, request):
        return Response(
            AttributeFilterOutput(attribute_filters_list(ou=request.ou), many=True).data
        )

    @extend_schema(
        request=AttributeFilterInput,
        responses={201: AttributeFilterOutput},
        summary="Create an attribute filter (OU-scoped)",
        description=ATTRIBUTE_RULE,
    )
    def post(self, request):
        data = AttributeFilterInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = filters.attribute_filter_create(
            ou=request.ou, member=request.member, **data.validated_data
        )
        return Response(AttributeFilterOutput(created).data, status=status.HTTP_201_CREATED)


class AttributeFilterView(ApiView):
    @extend_schema(
        request=AttributeFilterUpdateInput,
        responses=AttributeFilterOutput,
        summary="Update an attribute filter (OU-scoped)",
        description="Fields left out keep their values; `conditions` replaces them all.",
    )
    def put(self, request, filter_id):
        data = AttributeFilterUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        updated = filters.attribute_filter_update(
            ou=request.ou, member=request.member, filter_id=filter_id, **data.validated_data
        )
        return Response(AttributeFilterOutput(updated).data)

    @extend_schema(responses={204: None}, summary="Delete an attribute filter (OU-scoped)")
    def delete(self, request, filter_id):
        filters.attribute_filter_delete(ou=request.ou, filter_id=filter_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
