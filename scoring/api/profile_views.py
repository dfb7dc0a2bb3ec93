"""Profile (fit) scoring routes: `/profile/mappings`, `/profile/rulesets` and their rules,
`/profile/properties`, and `/admin/apply-profile-mappings`. The account routes
(account_views.py) are the same views over accounts.

Objects are named by public ids (`pm_`, `prs_`, `prl_` and a number; `am_`, `ars_`, `arl_`
for accounts); an id of another OU answers 404. Viewers read, Operators write. PUT changes
only the fields it is given. A change of rules recomputes the scores before it answers.
"""

from typing import NamedTuple

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.config_resource import ConfigObjectOutput, ConfigResource, ResourceDocs
from leadvibe.api.fields import StrictBooleanField, StrictCharField
from orgunits.api.base import ApiView
from scoring.api.config_fields import MAX_WEIGHT, PublicKeyField, WholeNumberField
from scoring.engine.conditions import OPERATORS
from scoring.fit.selectors import (
    PROFILE,
    FitKind,
    fit_mappings_list,
    fit_rules_list,
    fit_rulesets_list,
    metadata_properties,
)
from scoring.fit.services import config as profile_config
from scoring.fit.services.config import MAX_RULES_PER_RULESET
from scoring.fit.services.scores import profile_mappings_apply
from scoring.models import FieldMappingConfig

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


class FitResources(NamedTuple):
    rulesets: ConfigResource
    rules: ConfigResource
    mappings: ConfigResource


def fit_resources(kind: FitKind, *, base: type[ApiView] = ApiView, note: str = "") -> FitResources:
    """The rulesets, rules and field mappings of one kind of fit score, as resources."""
    name, subject, title = kind.name, _subject(kind), kind.name.capitalize()
    recomputed = "The ruleset's scores are recomputed before the answer."

    def resource(noun, input, output, selector, services, docs: ResourceDocs) -> ConfigResource:
        create, update, delete = services
        return ConfigResource(
            name=f"{title}{noun}",
            base=base,
            input=input,
            output=output,
            selector=selector,
            create=create,
            update=update,
            delete=delete,
            docs=docs,
            scope={"kind": kind},
        )

    return FitResources(
        rulesets=resource(
            "Ruleset",
            FitRulesetInput,
            FitRulesetOutput,
            fit_rulesets_list,
            (
                profile_config.fit_ruleset_create,
                profile_config.fit_ruleset_update,
                profile_config.fit_ruleset_delete,
            ),
            ResourceDocs(
                noun=f"{name} rule set",
                on_list="Oldest first.",
                about=f"Each enabled {name} ruleset keeps its own score per {subject}: the sum of "
                f"the weights of its rules whose condition holds on the {subject}'s metadata. "
                f"The primary ruleset's score and level (`/levels/{name}`) are the ones shown.",
                on_create=f"409 when the OU has a {name} ruleset of this name.",
                on_update="Disabling drops the ruleset's scores, enabling computes them. "
                "`is_primary: false` on the primary ruleset is a 400 (make another one primary "
                "instead).",
                on_delete="Deletes its rules and scores; a deleted primary's role goes to the "
                "oldest remaining ruleset.",
                note=note,
            ),
        ),
        rules=resource(
            "Rule",
            rule_input(f"{title}RuleInput", f"{name}_property"),
            rule_output(f"{title}RuleOutput", kind.ruleset_model.ID_PREFIX, f"{name}_property"),
            fit_rules_list,
            (
                profile_config.fit_rule_create,
                profile_config.fit_rule_update,
                profile_config.fit_rule_delete,
            ),
            ResourceDocs(
                noun=f"{name} rule",
                plural=f"{name} rules in a set",
                on_list="By ui_order, then creation; 404 for an unknown ruleset.",
                on_create=f"{CONDITIONS} At most {MAX_RULES_PER_RULESET} rules per ruleset. "
                f"{recomputed}",
                on_update=f"{CONDITIONS} 404 unless the rule belongs to the ruleset. {recomputed}",
                on_delete=recomputed,
                note=note,
            ),
        ),
        mappings=resource(
            "Mapping",
            mapping_input(f"{title}MappingInput", f"{name}_property"),
            mapping_output(f"{title}MappingOutput", f"{name}_property"),
            fit_mappings_list,
            (
                profile_config.fit_mapping_create,
                profile_config.fit_mapping_update,
                profile_config.fit_mapping_delete,
            ),
            ResourceDocs(
                noun=f"{name} field mapping",
                about=f"A mapping copies `event.metadata[source_field]` of each scored event (not "
                f"suppressed, not of an observe-only type) into the {subject}'s metadata; the "
                f"{name} score is recomputed after. It applies to events scored from its "
                "creation on.",
                on_delete="What it already copied stays in the metadata.",
                note=note,
            ),
        ),
    )


STRING_LIST = {"type": "array", "items": {"type": "string"}}


def properties_view(kind: FitKind, *, base: type[ApiView] = ApiView, note: str = ""):
    """`GET /<kind>/properties`: the metadata keys of the OU's leads or accounts."""

    def get(self, request):
        return Response(metadata_properties(ou=request.ou, kind=kind))

    return extend_schema_view(
        get=extend_schema(
            responses={200: STRING_LIST},
            summary=f"List distinct {_subject(kind)} metadata properties (OU-scoped)",
            description=(
                f"Top-level metadata keys of the OU's {_subject(kind)}s, sorted (at most "
                f"1,000). {note}"
            ).strip(),
        )
    )(type(f"{kind.name.capitalize()}PropertiesView", (base,), {"get": get}))


def _subject(kind: FitKind) -> str:
    return "lead" if kind is PROFILE else "account"


PROFILE_FIT = fit_resources(PROFILE)
ProfilePropertiesView = properties_view(PROFILE)


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
