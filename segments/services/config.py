"""Writes of segments and their rules.

Rules are validated by the compiler's own reading (segments.rules): an unknown type or
operator, an operator the type does not take, a level that does not exist, a numeric
operator without a number, or a `logic_group` whose active rules would mix AND and OR is a
400 naming the field. Account rules need ABM (403 otherwise).

Membership follows: deactivating a segment drops its members without events; activating it,
or changing the rules of an active one, enqueues a recompute job (segments.services.
recompute) in the same transaction; its progress is at GET /segments/{id}/recompute.
"""

from typing import Any

from django.db import transaction

from leadvibe.exceptions import ApplicationError, PermissionDeniedError
from leadvibe.jobs import job_enqueue
from orgunits.models import Member, OrgUnit
from scoring.extension_points import ScoreBasisChanged
from scoring.selectors.config import abm_enabled
from segments.models import (
    Segment,
    SegmentEventMatch,
    SegmentMemberCount,
    SegmentMembership,
    SegmentRecompute,
    SegmentRule,
)
from segments.rules import (
    ABM_TYPES,
    ACCOUNT_LEVEL,
    ENGAGEMENT_LEVEL,
    ENGAGEMENT_SCORE,
    PROFILE_LEVEL,
    RuleSpec,
    logic_op_errors,
    rule_errors,
)
from segments.selectors import (
    rule_spec,
    segment_context,
    segment_get,
    segment_rule_get,
    segments_list,
)

RULE_FIELDS = (
    "rule_name",
    "rule_type",
    "field_name",
    "operator",
    "value",
    "event_type",
    "logic_group",
    "logic_op",
    "order_index",
    "active",
)


class RuleValidationError(ApplicationError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(
            "Validation failed", details={name: [message] for name, message in errors.items()}
        )


def rules_validate(*, ou: OrgUnit, rules: list[RuleSpec]) -> None:
    """Raises for the first wrong rule of a rule set (a segment's or a preview's)."""
    if any(rule.rule_type in ABM_TYPES for rule in rules) and not abm_enabled(ou=ou):
        raise PermissionDeniedError(
            "Account rules need account-based marketing (abm_enabled) for this organization"
        )
    levels = segment_context(unit_id=ou.pk).levels
    for rule in rules:
        errors = rule_errors(rule, levels=levels)
        if errors:
            raise RuleValidationError(errors)
    errors = logic_op_errors(rules)
    if errors:
        raise RuleValidationError(errors)


def segment_create(
    *, ou: OrgUnit, member: Member | None, name: str, description: str = "", active: bool = True
) -> Segment:
    segment = Segment.authored(
        ou=ou, member=member, name=name, description=description, active=active
    )
    segment.save()
    return segments_list(ou=ou).get(pk=segment.pk)


def segment_update(
    *, ou: OrgUnit, member: Member | None, segment_id: str, **changes: Any
) -> Segment:
    with transaction.atomic():
        segment = segment_get(ou=ou, segment_id=segment_id)
        was_active = segment.active
        for name, value in changes.items():
            setattr(segment, name, value)
        segment.updated_by = member
        segment.save()
        if was_active and not segment.active:
            SegmentMembership.objects.for_ou(ou).filter(segment=segment).delete()
            SegmentMemberCount.objects.for_ou(ou).filter(segment=segment).delete()
        elif segment.active and not was_active:
            _recompute_enqueue(segment, member, SegmentRecompute.Cause.ACTIVATED)
    return segments_list(ou=ou).get(pk=segment.pk)


def segment_delete(*, ou: OrgUnit, segment_id: str) -> None:
    segment_get(ou=ou, segment_id=segment_id).delete()


def segment_rule_create(
    *, ou: OrgUnit, member: Member | None, segment_id: str, **fields: Any
) -> SegmentRule:
    with transaction.atomic():
        segment = (
            Segment.objects.for_ou(ou)
            .select_for_update()
            .get(pk=segment_get(ou=ou, segment_id=segment_id).pk)
        )
        rule = SegmentRule.authored(ou=ou, member=member, segment=segment)
        for name, value in fields.items():
            setattr(rule, name, value)
        _rule_validate(ou, rule)
        rule.save()
        _rules_changed(segment, member)
        return rule


def segment_rule_update(
    *, ou: OrgUnit, member: Member | None, segment_id: str, rule_id: str, **changes: Any
) -> SegmentRule:
    with transaction.atomic():
        rule = segment_rule_get(ou=ou, segment_id=segment_id, rule_id=rule_id)
        segment = Segment.objects.for_ou(ou).select_for_update().get(pk=rule.segment_id)
        for name, value in changes.items():
            setattr(rule, name, value)
        rule.updated_by = member
        _rule_validate(ou, rule)
        rule.save()
        # What the rule matched before says nothing about what it matches now.
        SegmentEventMatch.objects.for_ou(ou).filter(rule=rule).delete()
        _rules_changed(segment, member)
        return rule


def segment_rule_delete(*, ou: OrgUnit, segment_id: str, rule_id: str) -> None:
    with transaction.atomic():
        rule = segment_rule_get(ou=ou, segment_id=segment_id, rule_id=rule_id)
        segment = Segment.objects.for_ou(ou).select_for_update().get(pk=rule.segment_id)
        rule.delete()
        _rules_changed(segment, None)


def _rule_validate(ou: OrgUnit, rule: SegmentRule) -> None:
    """The rule alone, then the segment's active rules with it (the groups' logic_op)."""
    rules_validate(ou=ou, rules=[rule_spec(rule)])
    others = SegmentRule.objects.for_ou(ou).filter(segment_id=rule.segment_id, active=True)
    if rule.pk is not None:
        others = others.exclude(pk=rule.pk)
    group = [rule_spec(other) for other in others] + ([rule_spec(rule)] if rule.active else [])
    errors = logic_op_errors(group)
    if errors:
        raise RuleValidationError(errors)


def _rules_changed(segment: Segment, member: Member | None) -> None:
    if segment.active:
        _recompute_enqueue(segment, member, SegmentRecompute.Cause.RULES_CHANGED)


_RULE_TYPES_READING = {
    "engagement": (ENGAGEMENT_SCORE, ENGAGEMENT_LEVEL),
    "profile": (PROFILE_LEVEL,),
    "account": (ACCOUNT_LEVEL,),
}


def segments_on_score_basis_changed(payload: ScoreBasisChanged) -> None:
    """SCORE_BASIS_CHANGED: every active segment with a rule reading that kind's levels or
    primary score is recomputed (cause `rules_changed`: no segment trigger fires); every
    active one when the primary engagement ruleset changed, its members' scores with it."""
    segments = Segment.objects.for_ou(payload.unit_id).filter(active=True)
    if not (payload.primary_changed and payload.kind == "engagement"):
        segments = segments.filter(
            rules__active=True, rules__rule_type__in=_RULE_TYPES_READING[payload.kind]
        )
    for segment in segments.distinct():
        _recompute_enqueue(segment, None, SegmentRecompute.Cause.RULES_CHANGED)


def _recompute_enqueue(segment: Segment, member: Member | None, cause: str) -> SegmentRecompute:
    job: SegmentRecompute = SegmentRecompute.objects.create(
        unit_id=segment.unit_id, org_id=segment.org_id, segment=segment, cause=cause,
        created_by=member,
    )  # fmt: skip
    job_enqueue(job)
    return job
