"""Reads of segments: the configuration, the stored membership and its events, and the SQL
back end's evaluation of rules over an OU's leads (preview, recompute).

Objects are addressed by public id (`sg_12`, `sgr_3`); another OU's id is not found (404).
Counts read the membership's count shares (`SegmentMemberCount`), member pages the membership
table, never the leads; a segment whose recompute job is unfinished answers from the
membership as it stands, with `recomputing`.
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.engine.levels import LevelRange, level_for
from scoring.models import (
    Account,
    AccountRuleset,
    AccountScore,
    EngagementEvent,
    Lead,
    LeadProfileScore,
    LeadScore,
    Level,
    ProfileRuleset,
    Ruleset,
)
from scoring.selectors.config import config_object_get
from scoring.selectors.leads import lead_get
from segments.models import (
    Segment,
    SegmentEventMatch,
    SegmentMemberCount,
    SegmentMembership,
    SegmentMembershipEvent,
    SegmentRecompute,
    SegmentRule,
)
from segments.rules import (
    LeadFacts,
    LevelSets,
    RuleSpec,
    ScoreRows,
    SqlSources,
    engagement_score_bounds,
    segment_sql,
)

UNFINISHED = (SegmentRecompute.Status.PENDING, SegmentRecompute.Status.RUNNING)
PREVIEW_SAMPLE = 20
# The top scores a preview's sample is first looked for among (see segment_preview).
PREVIEW_WALK = 2000


# --- Configuration ------------------------------------------------------------------------


def segments_list(*, ou: OrgUnit) -> QuerySet[Segment]:
    """The OU's segments, oldest first, each with `lead_count` and `recomputing`."""
    counts = (
        SegmentMemberCount.objects.for_ou(ou)
        .filter(segment=OuterRef("pk"))
        .values("segment")
        .annotate(n=Sum("members"))
        .values("n")
    )
    segments: QuerySet[Segment] = (
        Segment.objects.for_ou(ou)
        .annotate(
            lead_count=Coalesce(Subquery(counts), 0),
            recomputing=Exists(
                SegmentRecompute.objects.for_ou(ou).filter(
                    segment=OuterRef("pk"), status__in=UNFINISHED
                )
            ),
        )
        .order_by("created_at", "id")
    )
    return segments


def segment_get(*, ou: OrgUnit, segment_id: str) -> Segment:
    return config_object_get(Segment, ou=ou, public_id=segment_id)


def segment_rules_list(*, ou: OrgUnit, segment_id: str) -> QuerySet[SegmentRule]:
    segment = segment_get(ou=ou, segment_id=segment_id)
    rules: QuerySet[SegmentRule] = SegmentRule.objects.for_ou(ou).filter(segment=segment)
    return rules.order_by("order_index", "id")


def segment_rule_get(*, ou: OrgUnit, segment_id: str, rule_id: str) -> SegmentRule:
    segment = segment_get(ou=ou, segment_id=segment_id)
    rule = config_object_get(SegmentRule, ou=ou, public_id=rule_id)
    if rule.segment_id != segment.pk:
        raise NotFoundError()
    return rule


def rule_spec(rule: SegmentRule) -> RuleSpec:
    return RuleSpec(
        rule_type=rule.rule_type,
        operator=rule.operator,
        field_name=rule.field_name,
        value=rule.value,
        event_type=rule.event_type,
        logic_group=rule.logic_group,
        logic_op=rule.logic_op,
        key=rule.pk,
    )


def active_rule_specs(*, unit_id: str, segment_pks: Sequence[int]) -> dict[int, list[RuleSpec]]:
    """The active rules of the segments, by segment."""
    rules: dict[int, list[RuleSpec]] = {pk: [] for pk in segment_pks}
    for rule in (
        SegmentRule.objects.for_ou(unit_id)
        .filter(segment_id__in=segment_pks, active=True)
        .order_by("order_index", "id")
    ):
        rules[rule.segment_id].append(rule_spec(rule))
    return rules


def active_segments_rules(*, unit_id: str) -> dict[int, list[RuleSpec]]:
    """The OU's active segments with their active rules (none: an empty list), in one read."""
    rows = (
        Segment.objects.for_ou(unit_id)
        .filter(active=True)
        .annotate(active_rule=FilteredRelation("rules", condition=Q(rules__active=True)))
        .order_by("pk", "active_rule__order_index", "active_rule__id")
        .values_list("pk", *(f"active_rule__{name}" for name in _RULE_SPEC_FIELDS))
    )
    segments: dict[int, list[RuleSpec]] = {}
    for segment_pk, key, *fields in rows:
        rules = segments.setdefault(segment_pk, [])
        if key is not None:
            rules.append(RuleSpec(**dict(zip(_RULE_SPEC_FIELDS[1:], fields, strict=True)), key=key))
    return segments


_RULE_SPEC_FIELDS = (
    "id",
    "rule_type",
    "operator",
    "field_name",
    "value",
    "event_type",
    "logic_group",
    "logic_op",
)


def segment_recompute_latest(*, ou: OrgUnit, segment_id: str) -> SegmentRecompute:
    segment = segment_get(ou=ou, segment_id=segment_id)
    job: SegmentRecompute | None = (
        SegmentRecompute.objects.for_ou(ou).filter(segment=segment).order_by("-id").first()
    )
    if job is None:
        raise NotFoundError("This segment has not been recomputed")
    return job


# --- Evaluation context and the SQL back end ------------------------------------------------


@dataclass(frozen=True)
class SegmentContext:
    """What rules of an OU are evaluated against besides the lead: levels and the primary
    rulesets whose scores the level and score rules read."""

    unit_id: str
    levels: LevelSets
    engagement_ruleset: int | None
    profile_ruleset: int | None
    account_ruleset: int | None


def segment_context(*, unit_id: str) -> SegmentContext:
    """Two reads (every scored batch with segments pays them): the levels of every kind, and
    the three primary rulesets."""
    levels: dict[str, list[LevelRange]] = {kind: [] for kind in Level.Kind.values}
    for name, kind, min_score, max_score in (
        Level.objects.for_ou(unit_id)
        .order_by("min_score", "id")
        .values_list("name", "kind", "min_score", "max_score")
    ):
        levels[kind].append(LevelRange(name, min_score, max_score))

    def primary(rulesets: QuerySet[Any]) -> Subquery:
        return Subquery(rulesets.filter(is_primary=True).order_by("pk").values("pk")[:1])

    engagement, profile, account = (
        OrgUnit.objects.filter(pk=unit_id)
        .values_list(
            primary(Ruleset.objects.for_ou(unit_id)),
            primary(ProfileRuleset.objects.for_ou(unit_id).filter(enabled=True)),
            primary(AccountRuleset.objects.for_ou(unit_id).filter(enabled=True)),
        )
        .get()
    )
    return SegmentContext(
        unit_id=unit_id,
        levels=LevelSets(
            engagement=tuple(levels[Level.Kind.ENGAGEMENT]),
            profile=tuple(levels[Level.Kind.PROFILE]),
            account=tuple(levels[Level.Kind.ACCOUNT]),
        ),
        engagement_ruleset=engagement,
        profile_ruleset=profile,
        account_ruleset=account,
    )


def _sources(context: SegmentContext, *, from_matches: bool = True) -> SqlSources:
    return SqlSources(
        lead_key="l.id",
        lead_metadata="l.metadata",
        account_metadata="a.metadata",
        engagement_scores=ScoreRows(
            LeadScore._meta.db_table, "lead_id", "l.id", context.engagement_ruleset
        ),
        profile_scores=ScoreRows(
            LeadProfileScore._meta.db_table, "lead_id", "l.id", context.profile_ruleset
        ),
        account_scores=ScoreRows(
            AccountScore._meta.db_table, "account_id", "l.account_id", context.account_ruleset
        ),
        events_table=EngagementEvent._meta.db_table,
        matches_table=SegmentEventMatch._meta.db_table,
        event_rules_from_matches=from_matches,
    )


def _leads_joined(context: SegmentContext, *, merged: bool = False) -> tuple[str, list[Any]]:
    """The OU's leads (alias `l`; unmerged ones unless `merged`) with what the rules read of
    them."""
    sql = (
        f"FROM {Lead._meta.db_table} l "
        f"LEFT JOIN {Account._meta.db_table} a ON a.id = l.account_id "
        f"LEFT JOIN {LeadScore._meta.db_table} es ON es.lead_id = l.id AND es.ruleset_id = %s "
        f"LEFT JOIN {LeadProfileScore._meta.db_table} ps "
        "ON ps.lead_id = l.id AND ps.ruleset_id = %s "
        f"LEFT JOIN {AccountScore._meta.db_table} acs "
        "ON acs.account_id = l.account_id AND acs.ruleset_id = %s "
        "WHERE l.unit_id = %s"
    )
    if not merged:
        sql += " AND l.merged_into_id IS NULL"
    params = [
        context.engagement_ruleset,
        context.profile_ruleset,
        context.account_ruleset,
        context.unit_id,
    ]
    return sql, params


def members_sql(
    *,
    context: SegmentContext,
    rules: Sequence[RuleSpec],
    lead_pk_range: tuple[int, int] | None = None,
    from_matches: bool = True,
) -> tuple[str, list[Any]]:
    """A query of the keys (`l.id`) of the leads the rules hold for (in `(after, up_to]` when
    given), and its parameters."""
    condition, condition_params = segment_sql(
        rules, context.levels, _sources(context, from_matches=from_matches)
    )
    joined, params = _leads_joined(context)
    sql = f"SELECT l.id {joined} AND {condition}"
    params = [*params, *condition_params]
    if lead_pk_range is not None:
        sql += " AND l.id > %s AND l.id <= %s"
        params.extend(lead_pk_range)
    return sql, params


def members_evaluated(
    *,
    context: SegmentContext,
    rules: Sequence[RuleSpec],
    lead_pk_range: tuple[int, int] | None = None,
    from_matches: bool = True,
) -> list[int]:
    """The keys of the leads `members_sql` selects, in key order."""
    sql, params = members_sql(
        context=context, rules=rules, lead_pk_range=lead_pk_range, from_matches=from_matches
    )
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY l.id", params)
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[Lead]


def segment_preview(*, ou: OrgUnit, rules: Sequence[RuleSpec]) -> Preview:
    """What a segment of these rules would hold now, read from the leads and events (the
    rules are not saved, so they have no match flags). The sample, the top-scored matches,
    is looked for among the PREVIEW_WALK top scores within the rules' score bounds first
    (the ranking index's order, the same as the sample's); only when fewer match there are
    all matches sorted."""
    context = segment_context(unit_id=ou.pk)
    condition, condition_params = segment_sql(
        rules, context.levels, _sources(context, from_matches=False)
    )
    joined, params = _leads_joined(context)
    matching, matching_params = f"{joined} AND {condition}", [*params, *condition_params]
    bounds = engagement_score_bounds(rules, context.levels)
    walk = " AND ".join(
        [
            "ruleset_id = %s",
            *([] if bounds.low is None else ["score >= %s"]),
            *([] if bounds.high is None else ["score <= %s"]),
        ]
    )
    walk_params = [
        b for b in (context.engagement_ruleset, bounds.low, bounds.high) if b is not None
    ]
    sample = f"SELECT l.id {matching} ORDER BY es.score DESC NULLS LAST, l.id LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {matching}", matching_params)
        count = cursor.fetchone()[0]
        pks: list[int] = []
        if count and context.engagement_ruleset is not None:
            cursor.execute(
                f"SELECT l.id {matching} AND es.lead_id IN ("  # noqa: S608
                f"SELECT lead_id FROM {LeadScore._meta.db_table} WHERE {walk} "
                "ORDER BY score DESC, lead_id LIMIT %s) "
                "ORDER BY es.score DESC, l.id LIMIT %s",
                [*matching_params, *walk_params, PREVIEW_WALK, PREVIEW_SAMPLE],
            )
            pks = [row[0] for row in cursor.fetchall()]
        if len(pks) < min(count, PREVIEW_SAMPLE):
            cursor.execute(sample, [*matching_params, PREVIEW_SAMPLE])
            pks = [row[0] for row in cursor.fetchall()]
    leads = Lead.objects.for_ou(ou).in_bulk(pks)
    return Preview(count=count, sample=[leads[pk] for pk in pks if pk in leads])


@dataclass(frozen=True)
class FactsRow:
    lead_pk: int
    lead_id: str
    merged: bool
    facts: LeadFacts


def lead_facts(*, context: SegmentContext, lead_pks: Sequence[int]) -> list[FactsRow]:
    """What the rules read of these leads (the predicate back end's input), merged ones
    included (they belong to no segment)."""
    joined, params = _leads_joined(context, merged=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.id, l.lead_id, l.merged_into_id IS NOT NULL, l.metadata, a.metadata, "
            f"es.score, ps.score, acs.score {joined} AND l.id = ANY(%s)",
            [*params, list(lead_pks)],
        )
        rows = cursor.fetchall()
    matched: dict[int, set[int]] = {}
    for rule_pk, lead_pk in (
        SegmentEventMatch.objects.for_ou(context.unit_id)
        .filter(lead_id__in=lead_pks)
        .values_list("rule_id", "lead_id")
    ):
        matched.setdefault(lead_pk, set()).add(rule_pk)
    return [
        FactsRow(
            lead_pk=pk,
            lead_id=lead_id,
            merged=merged,
            facts=LeadFacts(
                metadata=_json(metadata) or {},
                account_metadata=_json(account_metadata),
                engagement_score=engagement,
                profile_score=profile,
                account_score=account,
                matched_rules=frozenset(matched.get(pk, ())),
            ),
        )
        for pk, lead_id, merged, metadata, account_metadata, engagement, profile, account in rows
    ]


def _json(value: str | None) -> Any:
    """A jsonb column read by raw SQL (Django's connection reads jsonb as text)."""
    return None if value is None else json.loads(value)


# --- Membership reads ---------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentCount:
    count: int
    recomputing: bool


def segment_count(*, ou: OrgUnit, segment_id: str) -> SegmentCount:
    return _segment_counted(ou=ou, segment_id=segment_id)[1]


def _segment_counted(*, ou: OrgUnit, segment_id: str) -> tuple[Segment, SegmentCount]:
    """The segment with its count (segments_list's annotations), in one statement."""
    pk = Segment.pk_from_public_id(segment_id)
    segment = segments_list(ou=ou).filter(pk=pk).first() if pk is not None else None
    if segment is None:
        raise NotFoundError()
    counted: Any = segment
    return segment, SegmentCount(count=counted.lead_count, recomputing=counted.recomputing)


@dataclass(frozen=True)
class MemberRow:
    lead_id: str
    score: int
    engagement_level: str | None
    profile_level: str | None
    entered_at: Any


EXPORT_CHUNK = 5000


def _member_keys(segment: Segment, *, offset: int, limit: int | None) -> list[int]:
    """The keys of the members `offset`.. (`limit` of them; None: all), highest score first
    (the membership's rank index)."""
    members = SegmentMembership.objects.for_ou(segment.unit_id).filter(segment=segment)
    ranked = members.order_by("-score", "lead_id").values_list("lead_id", flat=True)
    return list(ranked[offset:] if limit is None else ranked[offset : offset + limit])


def _member_rows(
    context: SegmentContext, segment: Segment, *, offset: int, limit: int | None
) -> Iterator[MemberRow]:
    keys = _member_keys(segment, offset=offset, limit=limit)
    for start in range(0, len(keys), EXPORT_CHUNK):
        chunk = keys[start : start + EXPORT_CHUNK]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT l.id, l.lead_id, es.score, ps.score, m.entered_at "  # noqa: S608
                f"FROM {SegmentMembership._meta.db_table} m "
                f"JOIN {Lead._meta.db_table} l ON l.id = m.lead_id "
                f"LEFT JOIN {LeadScore._meta.db_table} es "
                "ON es.lead_id = l.id AND es.ruleset_id = %s "
                f"LEFT JOIN {LeadProfileScore._meta.db_table} ps "
                "ON ps.lead_id = l.id AND ps.ruleset_id = %s "
                "WHERE m.segment_id = %s AND m.lead_id = ANY(%s)",
                [context.engagement_ruleset, context.profile_ruleset, segment.pk, chunk],
            )
            rows = {row[0]: row[1:] for row in cursor.fetchall()}
        for key in chunk:
            if key not in rows:
                continue  # it left the segment since the page's keys were read
            lead_id, score, profile, entered_at = rows[key]
            yield MemberRow(
                lead_id=lead_id,
                score=score or 0,
                engagement_level=(
                    level_for(score, context.levels.engagement) if score is not None else None
                ),
                profile_level=(
                    level_for(profile, context.levels.profile) if profile is not None else None
                ),
                entered_at=entered_at,
            )


@dataclass(frozen=True)
class MembersPage:
    rows: list[MemberRow]
    total: int
    recomputing: bool


def segment_members_page(*, ou: OrgUnit, segment_id: str, offset: int, limit: int) -> MembersPage:
    """Members by primary score, highest first."""
    segment, count = _segment_counted(ou=ou, segment_id=segment_id)
    context = segment_context(unit_id=ou.pk)
    return MembersPage(
        rows=list(_member_rows(context, segment, offset=offset, limit=limit)),
        total=count.count,
        recomputing=count.recomputing,
    )


def segment_members_export(*, ou: OrgUnit, segment_id: str) -> Iterator[MemberRow]:
    segment = segment_get(ou=ou, segment_id=segment_id)
    return _member_rows(segment_context(unit_id=ou.pk), segment, offset=0, limit=None)


def lead_segments(*, ou: OrgUnit, lead_id: str) -> QuerySet[SegmentMembership]:
    lead = lead_get(ou=ou, lead_id=lead_id)
    memberships: QuerySet[SegmentMembership] = SegmentMembership.objects.for_ou(ou)
    return memberships.filter(lead=lead).select_related("segment").order_by("entered_at", "id")


def segment_events(
    *,
    ou: OrgUnit,
    segment_id: str,
    kind: str | None = None,
    start: Any = None,
    end: Any = None,
) -> QuerySet[SegmentMembershipEvent]:
    """The segment's entries and exits, newest first, in `[start, end)` when given."""
    segment = segment_get(ou=ou, segment_id=segment_id)
    events: QuerySet[SegmentMembershipEvent] = SegmentMembershipEvent.objects.for_ou(ou)
    events = events.filter(segment=segment)
    if kind:
        events = events.filter(kind=kind)
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lt=end)
    return events.order_by("-at", "-id")
