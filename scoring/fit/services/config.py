"""Configuration of profile (fit) and account scoring (architecture.md §4.8, §4.9): rulesets,
their rules and field mappings, for either kind (`PROFILE`, `ACCOUNT`).

Like the scoring rulesets, an OU that has rulesets of a kind has exactly one primary among
them (the first one; making another primary takes it over; deleting the primary hands it to
the oldest remaining one). Every write bumps the OU's configuration version first (which
serializes the OU's configuration writes and refreshes the workers' compiled configuration),
and a write that changes what a ruleset scores recomputes that ruleset's scores in the same
transaction, so reads after it are consistent. Mappings apply to events scored from then on
(`/admin/apply-profile-mappings` applies them to the past).
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from leadvibe.exceptions import ConflictError
from orgunits.models import Member, OrgUnit
from scoring.extension_points import SCORE_BASIS_CHANGED, ScoreBasisChanged
from scoring.fit.selectors import (
    NUMERIC_CONDITIONS,
    VALUELESS_CONDITIONS,
    FitKind,
    fit_mapping_get,
    fit_rule_get,
    fit_ruleset_get,
    fit_rulesets_list,
)
from scoring.fit.services.scores import fit_scores_drop, fit_scores_recompute
from scoring.models import FieldMappingConfig, FitRule, FitRuleset
from scoring.services.scoring_config import (
    config_invalid,
    config_object_create,
    config_object_save,
    config_object_saved_or_conflict,
    scoring_config_changed,
)

# Keeps every sum of weights (MAX_WEIGHT each) inside a 32-bit score.
MAX_RULES_PER_RULESET = 200


# --- Rulesets -------------------------------------------------------------------------------


@transaction.atomic
def fit_ruleset_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    kind: FitKind,
    name: str,
    enabled: bool = True,
    is_primary: bool = False,
) -> FitRuleset:
    scoring_config_changed(ou)
    rulesets = kind.ruleset_model.objects.for_ou(ou)
    _check_name_free(ou=ou, kind=kind, name=name)
    if not rulesets.exists():
        is_primary = True
    elif is_primary:
        rulesets.filter(is_primary=True).update(is_primary=False)
    ruleset = _saved(
        kind.ruleset_model.authored(
            ou=ou, member=member, name=name, enabled=enabled, is_primary=is_primary
        )
    )
    if enabled:
        fit_scores_recompute(ou=ou, kind=kind, ruleset_ids=[ruleset.pk])
        if ruleset.is_primary:
            _primary_scores_changed(ou, kind)
    return ruleset


@transaction.atomic
def fit_ruleset_update(
    *, ou: OrgUnit, member: Member | None, kind: FitKind, ruleset_id: str, **changes
) -> FitRuleset:
    """Change any of name, enabled and is_primary. Disabling drops the ruleset's scores,
    enabling computes them."""
    scoring_config_changed(ou)
    ruleset = fit_ruleset_get(ou=ou, kind=kind, ruleset_id=ruleset_id)
    if "name" in changes and changes["name"] != ruleset.name:
        _check_name_free(ou=ou, kind=kind, name=changes["name"])
    if changes.get("is_primary") is False and ruleset.is_primary:
        raise config_invalid(
            "is_primary",
            f"The OU keeps one primary {kind.name} ruleset: make another one primary instead.",
        )
    if changes.get("is_primary") and not ruleset.is_primary:
        kind.ruleset_model.objects.for_ou(ou).filter(is_primary=True).update(is_primary=False)
    was_enabled, was_primary = ruleset.enabled, ruleset.is_primary
    for name, value in changes.items():
        setattr(ruleset, name, value)
    ruleset.updated_by = member
    _saved(ruleset)
    if was_enabled and not ruleset.enabled:
        fit_scores_drop(kind=kind, ruleset_pk=ruleset.pk)
    elif ruleset.enabled and not was_enabled:
        fit_scores_recompute(ou=ou, kind=kind, ruleset_ids=[ruleset.pk])
    if (was_primary, was_enabled) != (ruleset.is_primary, ruleset.enabled) and (
        was_primary or ruleset.is_primary
    ):
        _primary_scores_changed(ou, kind)
    return ruleset


@transaction.atomic
def fit_ruleset_delete(*, ou: OrgUnit, kind: FitKind, ruleset_id: str) -> None:
    """Delete the ruleset with its rules and scores; a deleted primary's role goes to the
    oldest remaining ruleset of the kind."""
    scoring_config_changed(ou)
    ruleset = fit_ruleset_get(ou=ou, kind=kind, ruleset_id=ruleset_id)
    was_primary = ruleset.is_primary
    ruleset.delete()
    if was_primary:
        successor = fit_rulesets_list(ou=ou, kind=kind).first()
        if successor is not None:
            kind.ruleset_model.objects.unscoped().filter(pk=successor.pk).update(is_primary=True)
        _primary_scores_changed(ou, kind)


def _check_name_free(*, ou: OrgUnit, kind: FitKind, name: str) -> None:
    if kind.ruleset_model.objects.for_ou(ou).filter(name=name).exists():
        raise ConflictError(f"The OU already has a {kind.name} ruleset named {name!r}")


def _saved(ruleset: FitRuleset) -> FitRuleset:
    return config_object_saved_or_conflict(
        ruleset, "The ruleset conflicts with another one of the OU"
    )


# --- Rules ----------------------------------------------------------------------------------


def checked_comparison_value(condition: str, value: str | None) -> str:
    """The value stored for a rule: "" for exists/not_exists, else a non-blank value (a
    number for the numeric comparisons); a 400 otherwise."""
    if condition in VALUELESS_CONDITIONS:
        return ""
    if value is None or not value.strip():
        raise config_invalid("comparison_value", f"Required for the condition {condition!r}.")
    if condition in NUMERIC_CONDITIONS:
        try:
            finite = Decimal(value.strip()).is_finite()
        except InvalidOperation:
            finite = False
        if not finite:
            raise config_invalid(
                "comparison_value", f"Must be a number for the condition {condition!r}."
            )
    return value


@transaction.atomic
def fit_rule_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    kind: FitKind,
    ruleset_id: str,
    property_name: str,
    condition: str,
    weight: int,
    comparison_value: str | None = None,
    ui_order: int = 0,
) -> FitRule:
    scoring_config_changed(ou)
    ruleset = fit_ruleset_get(ou=ou, kind=kind, ruleset_id=ruleset_id)
    value = checked_comparison_value(condition, comparison_value)
    if kind.rule_model.objects.unscoped().filter(ruleset=ruleset).count() >= MAX_RULES_PER_RULESET:
        raise config_invalid(
            "ruleset_id", f"A ruleset holds at most {MAX_RULES_PER_RULESET} rules."
        )
    rule = kind.rule_model.authored(
        ou=ou,
        member=member,
        ruleset=ruleset,
        property_name=property_name,
        condition=condition,
        comparison_value=value,
        weight=weight,
        ui_order=ui_order,
    )
    rule.save()
    if ruleset.enabled:
        fit_scores_recompute(ou=ou, kind=kind, ruleset_ids=[ruleset.pk])
    return rule


@transaction.atomic
def fit_rule_update(
    *, ou: OrgUnit, member: Member | None, kind: FitKind, ruleset_id: str, rule_id: str, **changes
) -> FitRule:
    """Change any of property_name, condition, comparison_value, weight and ui_order; the
    condition and value after the change must go together."""
    scoring_config_changed(ou)
    rule = fit_rule_get(ou=ou, kind=kind, ruleset_id=ruleset_id, rule_id=rule_id)
    condition = changes.get("condition", rule.condition)
    value = changes.get("comparison_value", rule.comparison_value)
    if "condition" in changes or "comparison_value" in changes:
        changes["comparison_value"] = checked_comparison_value(condition, value)
    config_object_save(rule, member=member, changes=changes)
    _recompute_if_enabled(ou=ou, kind=kind, ruleset_pk=rule.ruleset_id)
    return rule


@transaction.atomic
def fit_rule_delete(*, ou: OrgUnit, kind: FitKind, ruleset_id: str, rule_id: str) -> None:
    scoring_config_changed(ou)
    rule = fit_rule_get(ou=ou, kind=kind, ruleset_id=ruleset_id, rule_id=rule_id)
    rule.delete()
    _recompute_if_enabled(ou=ou, kind=kind, ruleset_pk=rule.ruleset_id)


def _recompute_if_enabled(*, ou: OrgUnit, kind: FitKind, ruleset_pk: int) -> None:
    ruleset = kind.ruleset_model.objects.unscoped().filter(pk=ruleset_pk, enabled=True).first()
    if ruleset is None:
        return
    changed = fit_scores_recompute(ou=ou, kind=kind, ruleset_ids=[ruleset_pk])
    if changed and ruleset.is_primary:
        _primary_scores_changed(ou, kind)


def _primary_scores_changed(ou: OrgUnit, kind: FitKind) -> None:
    """Segments read the enabled primary ruleset's scores (as levels)."""
    SCORE_BASIS_CHANGED.publish(ScoreBasisChanged(unit_id=ou.pk, kind=kind.level_kind))


# --- Field mappings -------------------------------------------------------------------------


def fit_mapping_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    kind: FitKind,
    source_field: str,
    target_property: str,
    update_behavior: str = FieldMappingConfig.Behavior.ALWAYS_LATEST,
    active: bool = True,
) -> FieldMappingConfig:
    return config_object_create(
        kind.mapping_model, ou=ou, member=member, source_field=source_field,
        target_property=target_property, update_behavior=update_behavior, active=active,
    )  # fmt: skip


@transaction.atomic
def fit_mapping_update(
    *, ou: OrgUnit, member: Member | None, kind: FitKind, mapping_id: str, **changes
) -> FieldMappingConfig:
    """Change any of source_field, target_property, update_behavior and active."""
    scoring_config_changed(ou)
    mapping = fit_mapping_get(ou=ou, kind=kind, mapping_id=mapping_id)
    config_object_save(mapping, member=member, changes=changes)
    return mapping


@transaction.atomic
def fit_mapping_delete(*, ou: OrgUnit, kind: FitKind, mapping_id: str) -> None:
    """Delete the mapping; what it already copied stays in the metadata."""
    scoring_config_changed(ou)
    fit_mapping_get(ou=ou, kind=kind, mapping_id=mapping_id).delete()
