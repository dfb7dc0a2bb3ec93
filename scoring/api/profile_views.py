"""Profile (fit) scoring routes: `/profile/mappings`, `/profile/rulesets` and their rules,
`/profile/properties`, and `/admin/apply-profile-mappings`. The account routes
(account_views.py) are the same views over accounts.

Objects are named by public ids (`pm_`, `prs_`, `prl_` and a number; `am_`, `ars_`, `arl_`
for accounts); an id of another OU answers 404. Viewers read, Operators write. PUT changes
only the fields it is given. A change of rules recomputes the scores before it answers.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from leadvibe.api.fields import StrictBooleanField, StrictCharField
from orgunits.api.base import ApiView
from scoring.api.config_fields import MAX_WEIGHT, PublicKeyField, WholeNumberField
from scoring.api.config_fields import partial_serializer as partial
from scoring.api.config_views import ConfigObjectOutput
from scoring.engine.conditions import OPERATORS
from scoring.fit.selectors import (
    PROFILE,
    fit_mappings_list,
    fit_rules_list,
    fit_rulesets_list,
    metadata_properties,
)
from scoring.fit.services import config as profile_config
from scoring.fit.services.config import MAX_RULES_PER_RULESET
from scoring.fit.services.scores import profile_mappings_apply
from scoring.models import FieldMappingConfig, ProfileRuleset

MAX_ORDER = 1_000_000

CONDITIONS = (
    f"Conditions: {', '.join(OPERATORS)}. Numbers compare numerically, text "
    "case-insensitively; `in` / `not_in` take a comma-separated list; a dotted property "
    "reads nested objects. A missing property meets only not_equals, not_contains, not_in "
    "and not_exists. `comparison_value` is required except for exists / not_exists (400), "
    "and must be a number for greater_than, greater_or_equal, less_than, less_or_equal."
)


# --- Serializers ----------------------------------------------------------------------------


class FitRulesetOutput(ConfigObjectOutput):
    id = StrictCharField(source="public_id")
    name = StrictCharField()
    enabled = StrictBooleanField()
    is_primary = StrictBooleanField()


class FitRulesetInput(serializers.Serializer):
    name = StrictCharField(max_length=100, help_text="1 to 100 characters, unique")
    enabled = StrictBooleanField(default=True, help_text="Disabled rulesets score nothing")
    is_primary = StrictBooleanField(
        default=False,
        help_text="The primary ruleset's score and level are the ones shown for a lead "
        "(account). Making one primary takes it from the others; the first ruleset is "
        "primary whatever this says.",
    )


class ComparisonValueField(serializers.CharField):
    """Text; a JSON number is taken as its text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault(
            "help_text",
            "Compared with the property (see the conditions); ignored by exists / not_exists",
        )
        super().__init__(**kwargs)


def rule_output(name: str, prefix: str, property_field: str):
    return type(
        name,
        (ConfigObjectOutput,),
        {
            "id": StrictCharField(source="public_id"),
            "ruleset_id": PublicKeyField(prefix),
            property_field: StrictCharField(source="property_name"),
            "condition": StrictCharField(),
            "comparison_value": StrictCharField(help_text='"" for exists / not_exists'),
            "weight": serializers.IntegerField(),
            "ui_order": serializers.IntegerField(),
            "__module__": __name__,
        },
    )


def rule_input(name: str, property_field: str):
    return type(
        name,
        (serializers.Serializer,),
        {
            property_field: StrictCharField(
                max_length=200,
                source="property_name",
                help_text="Metadata key; a dotted path reads nested objects",
            ),
            "condition": serializers.ChoiceField(choices=OPERATORS),
            "comparison_value": ComparisonValueField(default=None),
            "weight": WholeNumberField(
                min_value=-MAX_WEIGHT,
                max_value=MAX_WEIGHT,
                help_text="Points when the condition holds; may be negative",
            ),
            "ui_order": WholeNumberField(
                min_value=-MAX_ORDER, max_value=MAX_ORDER, default=0, help_text="Display order"
            ),
            "__module__": __name__,
        },
    )


def mapping_output(name: str, property_field: str):
    return type(
        name,
        (ConfigObjectOutput,),
        {
            "id": StrictCharField(source="public_id"),
            "source_field": StrictCharField(),
            property_field: StrictCharField(source="target_property"),
            "update_behavior": serializers.ChoiceField(choices=FieldMappingConfig.Behavior.choices),
            "active": StrictBooleanField(),
            "__module__": __name__,
        },
    )


def mapping_input(name: str, property_field: str):
    return type(
        name,
        (serializers.Serializer,),
        {
            "source_field": StrictCharField(
                max_length=200, help_text="Key of the event metadata to copy"
            ),
            property_field: StrictCharField(
                max_length=200, source="target_property", help_text="Metadata key written"
            ),
            "update_behavior": serializers.ChoiceField(
                choices=FieldMappingConfig.Behavior.choices,
                default=FieldMappingConfig.Behavior.ALWAYS_LATEST,
                help_text="always_latest overwrites; set_once writes only when empty; append "
                'keeps the last 10 distinct values in "<property>_list"',
            ),
            "active": StrictBooleanField(default=True),
            "__module__": __name__,
        },
    )


ProfileRuleOutput = rule_output("ProfileRuleOutput", ProfileRuleset.ID_PREFIX, "profile_property")
ProfileRuleInput = rule_input("ProfileRuleInput", "profile_property")
ProfileRuleUpdateInput = partial(ProfileRuleInput, "ProfileRuleUpdateInput")
ProfileMappingOutput = mapping_output("ProfileMappingOutput", "profile_property")
ProfileMappingInput = mapping_input("ProfileMappingInput", "profile_property")
ProfileMappingUpdateInput = partial(ProfileMappingInput, "ProfileMappingUpdateInput")
FitRulesetUpdateInput = partial(FitRulesetInput, "FitRulesetUpdateInput")


# --- Views, generic over the kind -----------------------------------------------------------


class FitView(ApiView):
    kind = PROFILE


class FitRulesetsView(FitView):
    def get(self, request):
        rulesets = fit_rulesets_list(ou=request.ou, kind=self.kind)
        return Response(FitRulesetOutput(rulesets, many=True).data)

    def post(self, request):
        data = FitRulesetInput(data=request.data)
        data.is_valid(raise_exception=True)
        ruleset = profile_config.fit_ruleset_create(
            ou=request.ou, member=request.member, kind=self.kind, **data.validated_data
        )
        return Response(FitRulesetOutput(ruleset).data, status=status.HTTP_201_CREATED)


class FitRulesetView(FitView):
    def put(self, request, ruleset_id):
        data = FitRulesetUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        ruleset = profile_config.fit_ruleset_update(
            ou=request.ou,
            member=request.member,
            kind=self.kind,
            ruleset_id=ruleset_id,
            **data.validated_data,
        )
        return Response(FitRulesetOutput(ruleset).data)

    def delete(self, request, ruleset_id):
        profile_config.fit_ruleset_delete(ou=request.ou, kind=self.kind, ruleset_id=ruleset_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FitRulesView(FitView):
    input_class = ProfileRuleInput
    output_class = ProfileRuleOutput

    def get(self, request, ruleset_id):
        rules = fit_rules_list(ou=request.ou, kind=self.kind, ruleset_id=ruleset_id)
        return Response(self.output_class(rules, many=True).data)

    def post(self, request, ruleset_id):
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        rule = profile_config.fit_rule_create(
            ou=request.ou,
            member=request.member,
            kind=self.kind,
            ruleset_id=ruleset_id,
            **data.validated_data,
        )
        return Response(self.output_class(rule).data, status=status.HTTP_201_CREATED)


class FitRuleView(FitView):
    input_class = ProfileRuleUpdateInput
    output_class = ProfileRuleOutput

    def put(self, request, ruleset_id, rule_id):
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        rule = profile_config.fit_rule_update(
            ou=request.ou,
            member=request.member,
            kind=self.kind,
            ruleset_id=ruleset_id,
            rule_id=rule_id,
            **data.validated_data,
        )
        return Response(self.output_class(rule).data)

    def delete(self, request, ruleset_id, rule_id):
        profile_config.fit_rule_delete(
            ou=request.ou, kind=self.kind, ruleset_id=ruleset_id, rule_id=rule_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class FitMappingsView(FitView):
    input_class = ProfileMappingInput
    output_class = ProfileMappingOutput

    def get(self, request):
        mappings = fit_mappings_list(ou=request.ou, kind=self.kind)
        return Response(self.output_class(mappings, many=True).data)

    def post(self, request):
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        mapping = profile_config.fit_mapping_create(
            ou=request.ou, member=request.member, kind=self.kind, **data.validated_data
        )
        return Response(self.output_class(mapping).data, status=status.HTTP_201_CREATED)


class FitMappingView(FitView):
    input_class = ProfileMappingUpdateInput
    output_class = ProfileMappingOutput

    def put(self, request, mapping_id):
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        mapping = profile_config.fit_mapping_update(
            ou=request.ou,
            member=request.member,
            kind=self.kind,
            mapping_id=mapping_id,
            **data.validated_data,
        )
        return Response(self.output_class(mapping).data)

    def delete(self, request, mapping_id):
        profile_config.fit_mapping_delete(ou=request.ou, kind=self.kind, mapping_id=mapping_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FitPropertiesView(FitView):
    def get(self, request):
        return Response(metadata_properties(ou=request.ou, kind=self.kind))


# --- Documentation, per kind ----------------------------------------------------------------

STRING_LIST = {"type": "array", "items": {"type": "string"}}


def rulesets_documented(kind: str, *, note: str = ""):
    text = (
        f"Each enabled {kind} ruleset keeps its own score per {_subject(kind)}: the sum of the "
        f"weights of its rules whose condition holds on the {_subject(kind)}'s metadata. The "
        f"primary ruleset's score and level (`/levels/{kind}`) are the ones shown.{note}"
    )
    return extend_schema_view(
        get=extend_schema(
            responses=FitRulesetOutput(many=True),
            summary=f"List {kind} rule sets (OU-scoped)",
            description=f"Oldest first. {text}",
        ),
        post=extend_schema(
            request=FitRulesetInput,
            responses={201: FitRulesetOutput},
            summary=f"Create {kind} rule set (OU-scoped)",
            description=f"409 when the OU has a {kind} ruleset of this name. {text}",
        ),
    )


def ruleset_documented(kind: str, *, note: str = ""):
    return extend_schema_view(
        put=extend_schema(
            request=FitRulesetUpdateInput,
            responses=FitRulesetOutput,
            summary=f"Update {kind} rule set (OU-scoped)",  # noqa: S608 - not SQL
            description=(
                "Fields left out keep their values. Disabling drops the ruleset's scores, "
                "enabling computes them. `is_primary: false` on the primary ruleset is a 400 "
                f"(make another one primary instead).{note}"
            ),
        ),
        delete=extend_schema(
            responses={204: None},
            summary=f"Delete {kind} rule set (OU-scoped)",
            description=(
                "Deletes its rules and scores; a deleted primary's role goes to the oldest "
                f"remaining ruleset.{note}"
            ),
        ),
    )


def rules_documented(kind: str, input_class, output_class, *, note: str = ""):
    return extend_schema_view(
        get=extend_schema(
            responses=output_class(many=True),
            summary=f"List {kind} rules in a set (OU-scoped)",
            description=f"By ui_order, then creation; 404 for an unknown ruleset.{note}",
        ),
        post=extend_schema(
            request=input_class,
            responses={201: output_class},
            summary=f"Create {kind} rule (OU-scoped)",
            description=(
                f"{CONDITIONS} At most {MAX_RULES_PER_RULESET} rules per ruleset. The "
                f"ruleset's scores are recomputed before the answer.{note}"
            ),
        ),
    )


def rule_documented(kind: str, input_class, output_class, *, note: str = ""):
    return extend_schema_view(
        put=extend_schema(
            request=input_class,
            responses=output_class,
            summary=f"Update {kind} rule (OU-scoped)",
            description=(
                f"Fields left out keep their values. {CONDITIONS} 404 unless the rule belongs "
                f"to the ruleset. The ruleset's scores are recomputed before the answer.{note}"
            ),
        ),
        delete=extend_schema(
            responses={204: None},
            summary=f"Delete {kind} rule (OU-scoped)",
            description=f"The ruleset's scores are recomputed before the answer.{note}",
        ),
    )


def mappings_documented(kind: str, input_class, output_class, *, note: str = ""):
    text = (
        f"A mapping copies `event.metadata[source_field]` of each scored event (not "
        f"suppressed, not of an observe-only type) into the {_subject(kind)}'s metadata; the "
        f"{kind} score is recomputed after. It applies to events scored from its creation on."
        f"{note}"
    )
    return extend_schema_view(
        get=extend_schema(
            responses=output_class(many=True),
            summary=f"List {kind} field mappings (OU-scoped)",
            description=text,
        ),
        post=extend_schema(
            request=input_class,
            responses={201: output_class},
            summary=f"Create {kind} field mapping (OU-scoped)",
            description=text,
        ),
    )


def mapping_documented(kind: str, input_class, output_class, *, note: str = ""):
    return extend_schema_view(
        put=extend_schema(
            request=input_class,
            responses=output_class,
            summary=f"Update {kind} field mapping (OU-scoped)",
            description=f"Fields left out keep their values.{note}",
        ),
        delete=extend_schema(
            responses={204: None},
            summary=f"Delete {kind} field mapping (OU-scoped)",
            description=f"What it already copied stays in the metadata.{note}",
        ),
    )


def properties_documented(kind: str, *, note: str = ""):
    return extend_schema_view(
        get=extend_schema(
            responses={200: STRING_LIST},
            summary=f"List distinct {_subject(kind)} metadata properties (OU-scoped)",
            description=(
                f"Top-level metadata keys of the OU's {_subject(kind)}s, sorted (at most "
                f"1,000).{note}"
            ),
        )
    )


def _subject(kind: str) -> str:
    return "lead" if kind == "profile" else "account"


# --- Profile routes -------------------------------------------------------------------------


@rulesets_documented("profile")
class ProfileRulesetsView(FitRulesetsView):
    pass


@ruleset_documented("profile")
class ProfileRulesetView(FitRulesetView):
    pass


@rules_documented("profile", ProfileRuleInput, ProfileRuleOutput)
class ProfileRulesView(FitRulesView):
    pass


@rule_documented("profile", ProfileRuleUpdateInput, ProfileRuleOutput)
class ProfileRuleView(FitRuleView):
    pass


@mappings_documented("profile", ProfileMappingInput, ProfileMappingOutput)
class ProfileMappingsView(FitMappingsView):
    pass


@mapping_documented("profile", ProfileMappingUpdateInput, ProfileMappingOutput)
class ProfileMappingView(FitMappingView):
    pass


@properties_documented("profile")
class ProfilePropertiesView(FitPropertiesView):
    pass


class ApplyProfileMappingsView(ApiView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ProfileMappingsApplied",
            {
                "leads_processed": serializers.IntegerField(),
                "leads_updated": serializers.IntegerField(help_text="Leads whose metadata changed"),
                "profile_scores_updated": serializers.IntegerField(
                    help_text="Profile scores that changed"
                ),
            },
        ),
        summary="Apply profile field mappings to existing leads (OU-scoped)",
        description=(
            "Replays each unmerged lead's scored, unsuppressed events (not of observe-only "
            "types) in time order through the active profile mappings, respecting each one's "
            "update behavior, then recomputes the leads' profile scores. Runs in chunks of "
            "leads, each committed on its own; running it again changes nothing."
        ),
    )
    def post(self, request):
        applied = profile_mappings_apply(ou=request.ou)
        return Response(
            {
                "leads_processed": applied.leads_processed,
                "leads_updated": applied.leads_updated,
                "profile_scores_updated": applied.profile_scores_updated,
            }
        )
