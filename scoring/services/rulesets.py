"""Rulesets and their rules (architecture.md §4).

An OU that has rulesets has exactly one primary: the first ruleset of an OU becomes primary,
making another one primary takes it from the old one, and deleting the primary hands it to
the oldest remaining ruleset. A primary ruleset stops being primary only that way.
"""

import datetime

from django.db import transaction

from leadvibe.exceptions import ApplicationError, ConflictError
from orgunits.models import Member, OrgUnit
from scoring.extension_points import SCORE_BASIS_CHANGED, ScoreBasisChanged
from scoring.models import Level, Rule, Ruleset
from scoring.selectors.config import config_object_get, rulesets_list
from scoring.services.scoring_config import (
    config_invalid,
    config_object_delete,
    config_object_save,
    config_object_saved_or_conflict,
    scoring_config_changed,
)


@transaction.atomic
def ruleset_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    name: str,
    score_column: str = "total_score",
    is_primary: bool = False,
    active: bool = True,
) -> Ruleset:
    scoring_config_changed(ou)
    rulesets = Ruleset.objects.for_ou(ou)
    _check_name_free(ou=ou, name=name)
    if not rulesets.exists():
        is_primary = True
    elif is_primary:
        rulesets.filter(is_primary=True).update(is_primary=False)
    ruleset = _saved(
        Ruleset.authored(
            ou=ou,
            member=member,
            name=name,
            score_column=score_column,
            is_primary=is_primary,
            active=active,
        )
    )
    if is_primary:
        _primary_scores_changed(ou)
    return ruleset


@transaction.atomic
def ruleset_update(*, ou: OrgUnit, member: Member | None, ruleset_id: str, **changes) -> Ruleset:
    """Change any of name, score_column, is_primary and active."""
    scoring_config_changed(ou)
    ruleset = config_object_get(Ruleset, ou=ou, public_id=ruleset_id)
    if "name" in changes and changes["name"] != ruleset.name:
        _check_name_free(ou=ou, name=changes["name"])
    if changes.get("is_primary") is False and ruleset.is_primary:
        raise config_invalid(
            "is_primary",
            "The OU keeps one primary ruleset: make another ruleset primary instead.",
        )
    if changes.get("is_primary") and not ruleset.is_primary:
        Ruleset.objects.for_ou(ou).filter(is_primary=True).update(is_primary=False)
    was = (ruleset.is_primary, ruleset.active)
    for name, value in changes.items():
        setattr(ruleset, name, value)
    ruleset.updated_by = member
    saved = _saved(ruleset)
    if was != (ruleset.is_primary, ruleset.active) and (was[0] or ruleset.is_primary):
        _primary_scores_changed(ou)
    return saved


@transaction.atomic
def ruleset_delete(*, ou: OrgUnit, ruleset_id: str) -> None:
    """Delete the ruleset with its rules and scores; a deleted primary's role goes to the
    oldest remaining ruleset."""
    scoring_config_changed(ou)
    ruleset = config_object_get(Ruleset, ou=ou, public_id=ruleset_id)
    was_primary = ruleset.is_primary
    ruleset.delete()
    if was_primary:
        successor = rulesets_list(ou=ou).first()
        if successor is not None:
            Ruleset.objects.unscoped().filter(pk=successor.pk).update(is_primary=True)
        _primary_scores_changed(ou)


def _primary_scores_changed(ou: OrgUnit) -> None:
    """Segments read the primary ruleset's score and level."""
    SCORE_BASIS_CHANGED.publish(
        ScoreBasisChanged(unit_id=ou.pk, kind=Level.Kind.ENGAGEMENT, primary_changed=True)
    )


def _check_name_free(*, ou: OrgUnit, name: str) -> None:
    if Ruleset.objects.for_ou(ou).filter(name=name).exists():
        raise ConflictError(f"The OU already has a ruleset named {name!r}")


def _saved(ruleset: Ruleset) -> Ruleset:
    return config_object_saved_or_conflict(
        ruleset, "The ruleset conflicts with another one of the OU"
    )


# --- Rules ----------------------------------------------------------------------------------


class NoPrimaryRulesetError(ApplicationError):
    default_message = "The OU has no ruleset yet: create one, or name one with ruleset_id"


@transaction.atomic
def rule_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    event_type: str,
    weight: int,
    ruleset_id: str | None = None,
    icon: str = "",
    active: bool = True,
    start_at: datetime.datetime | None = None,
    end_at: datetime.datetime | None = None,
) -> Rule:
    """A rule in the named ruleset of the OU (NotFoundError when it has none such), or in its
    primary one when none is named (NoPrimaryRulesetError when it has no ruleset)."""
    scoring_config_changed(ou)
    _check_window(start_at, end_at)
    rule = Rule.authored(
        ou=ou,
        member=member,
        ruleset=_ruleset_for(ou=ou, ruleset_id=ruleset_id),
        event_type=event_type,
        weight=weight,
        icon=icon,
        active=active,
        start_at=start_at,
        end_at=end_at,
    )
    rule.save()
    return rule


@transaction.atomic
def rule_update(*, ou: OrgUnit, member: Member | None, rule_id: str, **changes) -> Rule:
    """Change any of ruleset_id (a ruleset of the OU; None: the primary one), event_type,
    weight, icon, active, start_at and end_at."""
    scoring_config_changed(ou)
    rule = config_object_get(Rule, ou=ou, public_id=rule_id)
    if "ruleset_id" in changes:
        changes["ruleset"] = _ruleset_for(ou=ou, ruleset_id=changes.pop("ruleset_id"))
    _check_window(changes.get("start_at", rule.start_at), changes.get("end_at", rule.end_at))
    config_object_save(rule, member=member, changes=changes)
    return rule


def rule_delete(*, ou: OrgUnit, rule_id: str) -> None:
    """Delete the rule. Points it already gave stay until the ruleset is rescored."""
    config_object_delete(Rule, ou=ou, public_id=rule_id)


def _ruleset_for(*, ou: OrgUnit, ruleset_id: str | None) -> Ruleset:
    """The named ruleset of the OU, or its primary one when none is named."""
    if ruleset_id is not None:
        return config_object_get(Ruleset, ou=ou, public_id=ruleset_id)
    primary = Ruleset.objects.for_ou(ou).filter(is_primary=True).first()
    if primary is None:
        raise NoPrimaryRulesetError()
    return primary


def _check_window(start_at: datetime.datetime | None, end_at: datetime.datetime | None) -> None:
    if start_at is not None and end_at is not None and start_at >= end_at:
        raise config_invalid("end_at", "Must be later than start_at.")
