"""Real-time membership (architecture.md §8): the segments subscriber of scoring's extension
points keeps `SegmentMembership` and the event-metadata match flags current in the
transaction that changed what a rule reads, and records each entry and exit as a
`SegmentMembershipEvent` with its cause.

Per payload, per OU, set-based: one read of the OU's active segments and rules, one of the
touched leads' facts (metadata, scores, match flags), one of their memberships; the per-lead
predicate decides; then one statement writes the entries, the exits and the segments' count
shares (`SegmentMemberCount`), and one the events. A
scored event costs the active `event_metadata` rules of its type: a matching unsuppressed
event sets the rule's flag for the lead, and the flag is what the rule reads from then on.

Locks: the producer holds the leads (scoring.services.lead_locks); membership and flag rows
of a lead are written only under its lock, so no lock is taken here, but for the other leads
of a scored batch's accounts (`_account_peers_refresh`). A count share row is locked until
commit by the transaction that moved it, in segment order; transactions of different shares
(txid mod SHARES) never wait for each other.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from leadvibe.live import publish_live_events
from scoring.extension_points import (
    DecayApplied,
    LeadMetadataChanged,
    LeadsDeleting,
    LeadsMerged,
    LeadsRescored,
    ScoredBatch,
    ScoredLead,
)
from scoring.models import EngagementEvent, Lead, LeadScore, Ruleset
from scoring.services.lead_locks import leads_lock
from segments.extension_points import MEMBERSHIP_CHANGED, MembershipChange, MembershipChanged
from segments.models import (
    Segment,
    SegmentEventMatch,
    SegmentMemberCount,
    SegmentMembership,
    SegmentMembershipEvent,
)
from segments.rules import (
    ABM_TYPES,
    ENGAGEMENT_LEVEL,
    ENGAGEMENT_SCORE,
    EVENT_METADATA,
    RuleSpec,
    event_match_sql,
    event_rule_matches,
    segment_predicate,
)
from segments.selectors import active_segments_rules, lead_facts, members_sql, segment_context

Cause = SegmentMembershipEvent.Cause
Kind = SegmentMembershipEvent.Kind
_MATCHES = SegmentEventMatch._meta.db_table
_MEMBERSHIP = SegmentMembership._meta.db_table
_COUNTS = SegmentMemberCount._meta.db_table
_SCORE_RULE_TYPES = frozenset({ENGAGEMENT_LEVEL, ENGAGEMENT_SCORE})
_LEAD_SCORES = LeadScore._meta.db_table
# The tail of an INSERT of count shares (alias `c`): a share that exists adds the new one.
_COUNT_ADDED = (
    "ON CONFLICT (segment_id, share) DO UPDATE SET members = c.members + EXCLUDED.members"
)
# The OU's primary ruleset (one at most), with the OU's key as its parameter.
_PRIMARY_RULESET = f"SELECT id FROM {Ruleset._meta.db_table} WHERE unit_id = %s AND is_primary"  # noqa: S608


def membership_changes_apply(
    *, unit_id: str, changes: Sequence[MembershipChange], cause: str
) -> None:
    """Store entries and exits, record them as events, offer them to MEMBERSHIP_CHANGED and,
    once committed, to the live stream."""
    if not changes:
        return
    now = timezone.now()
    entered = [c for c in changes if c.entered]
    exited = [c for c in changes if not c.entered]
    # Arrays unnested in the database: a recompute writes hundreds of thousands of rows, and
    # building a model instance for each took most of its time. The rows written, not those
    # asked for, move the counts.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH entered AS (INSERT INTO {_MEMBERSHIP} "  # noqa: S608
            "(segment_id, lead_id, unit_id, entered_at, score) "
            "SELECT x.segment_id, x.lead_id, %s, %s, COALESCE(es.score, 0) "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS x(segment_id, lead_id) "
            f"LEFT JOIN {_LEAD_SCORES} es ON es.lead_id = x.lead_id AND es.ruleset_id = "
            f"({_PRIMARY_RULESET}) "
            "ON CONFLICT (segment_id, lead_id) DO NOTHING RETURNING segment_id), "
            f"exited AS (DELETE FROM {_MEMBERSHIP} m "
            "USING unnest(%s::bigint[], %s::bigint[]) AS x(segment_id, lead_id) "
            "WHERE m.segment_id = x.segment_id AND m.lead_id = x.lead_id "
            "RETURNING m.segment_id), "
            "moved AS (SELECT segment_id, 1 AS n FROM entered "
            "UNION ALL SELECT segment_id, -1 FROM exited) "
            f"INSERT INTO {_COUNTS} AS c (segment_id, unit_id, share, members) "
            f"SELECT segment_id, %s, txid_current() %% {SegmentMemberCount.SHARES}, sum(n) "
            "FROM moved GROUP BY segment_id ORDER BY segment_id "
            f"{_COUNT_ADDED}",
            [
                unit_id,
                now,
                [c.segment_pk for c in entered],
                [c.lead_pk for c in entered],
                unit_id,
                [c.segment_pk for c in exited],
                [c.lead_pk for c in exited],
                unit_id,
            ],
        )
        cursor.execute(
            f"INSERT INTO {SegmentMembershipEvent._meta.db_table} "  # noqa: S608
            "(segment_id, lead_pk, lead_id, kind, unit_id, cause, at) "
            "SELECT segment_id, lead_pk, lead_id, kind, %s, %s, %s "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
            "AS x(segment_id, lead_pk, lead_id, kind)",
            [
                unit_id,
                cause,
                now,
                [c.segment_pk for c in changes],
                [c.lead_pk for c in changes],
                [c.lead_id for c in changes],
                [(Kind.ENTERED if c.entered else Kind.EXITED).value for c in changes],
            ],
        )
    _changes_announce(unit_id, changes, cause, now)


def _changes_announce(
    unit_id: str, changes: Sequence[MembershipChange], cause: str, now: datetime
) -> None:
    """Offer stored entries and exits to MEMBERSHIP_CHANGED and, once committed, to the live
    stream."""
    MEMBERSHIP_CHANGED.publish(
        MembershipChanged(unit_id=unit_id, cause=cause, at=now, changes=tuple(changes))
    )
    live_events = [
        (
            "segment_entered" if c.entered else "segment_exited",
            {
                "segment_id": f"{Segment.ID_PREFIX}{c.segment_pk}",
                "lead_id": c.lead_id,
                "cause": cause,
                "at": now.isoformat(),
            },
        )
        for c in changes
    ]
    transaction.on_commit(lambda: publish_live_events(unit_id, live_events))


def segment_range_recompute(
    *,
    unit_id: str,
    segment_pk: int,
    rules: Sequence[RuleSpec],
    lead_pk_range: tuple[int, int],
    cause: str,
) -> list[MembershipChange]:
    """Make the segment's membership of the leads in `(after, up_to]` what the SQL back end
    evaluates, in one statement: entries (with their scores), exits, the members' scores
    (after a primary ruleset switch), the count share and the events. The caller holds the
    leads. The change of a recompute of a million leads is never shipped through Python."""
    context = segment_context(unit_id=unit_id)
    members, member_params = members_sql(context=context, rules=rules, lead_pk_range=lead_pk_range)
    now = timezone.now()
    after, up_to = lead_pk_range
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH wanted AS ({members}), "  # noqa: S608
            f"stored AS (SELECT lead_id, score FROM {_MEMBERSHIP} "
            "WHERE segment_id = %s AND lead_id > %s AND lead_id <= %s), "
            "entering AS (SELECT id AS lead_id FROM wanted EXCEPT SELECT lead_id FROM stored), "
            "leaving AS (SELECT lead_id FROM stored EXCEPT SELECT id FROM wanted), "
            f"entered AS (INSERT INTO {_MEMBERSHIP} "
            "(segment_id, lead_id, unit_id, entered_at, score) "
            "SELECT %s, e.lead_id, %s, %s, COALESCE(es.score, 0) FROM entering e "
            f"LEFT JOIN {_LEAD_SCORES} es ON es.lead_id = e.lead_id "
            f"AND es.ruleset_id = ({_PRIMARY_RULESET}) "
            "ON CONFLICT (segment_id, lead_id) DO NOTHING RETURNING lead_id), "
            f"exited AS (DELETE FROM {_MEMBERSHIP} m USING leaving x "
            "WHERE m.segment_id = %s AND m.lead_id = x.lead_id RETURNING m.lead_id), "
            f"rescored AS (UPDATE {_MEMBERSHIP} m SET score = COALESCE(es.score, 0) "
            f"FROM stored st LEFT JOIN {_LEAD_SCORES} es ON es.lead_id = st.lead_id "
            f"AND es.ruleset_id = ({_PRIMARY_RULESET}) "
            "WHERE m.segment_id = %s AND m.lead_id = st.lead_id "
            "AND st.score <> COALESCE(es.score, 0) "
            "AND st.lead_id NOT IN (SELECT lead_id FROM leaving)), "
            "changed AS (SELECT lead_id, TRUE AS entered FROM entered "
            "UNION ALL SELECT lead_id, FALSE FROM exited), "
            f"counted AS (INSERT INTO {_COUNTS} AS c (segment_id, unit_id, share, members) "
            f"SELECT %s, %s, txid_current() %% {SegmentMemberCount.SHARES}, "
            "sum(CASE WHEN entered THEN 1 ELSE -1 END) FROM changed HAVING count(*) > 0 "
            f"{_COUNT_ADDED}), "
            "named AS (SELECT c.lead_id, l.lead_id AS public_id, c.entered FROM changed c "
            f"JOIN {Lead._meta.db_table} l ON l.id = c.lead_id), "
            f"logged AS (INSERT INTO {SegmentMembershipEvent._meta.db_table} "
            "(segment_id, lead_pk, lead_id, kind, unit_id, cause, at) "
            "SELECT %s, lead_id, public_id, "
            "CASE WHEN entered THEN %s ELSE %s END, %s, %s, %s FROM named) "
            "SELECT lead_id, public_id, entered FROM named ORDER BY lead_id",
            [
                *member_params,
                *(segment_pk, after, up_to),
                *(segment_pk, unit_id, now, unit_id),
                segment_pk,
                *(unit_id, segment_pk),
                *(segment_pk, unit_id),
                *(segment_pk, Kind.ENTERED.value, Kind.EXITED.value, unit_id, cause, now),
            ],
        )
        changes = [
            MembershipChange(segment_pk, lead_pk, lead_id, entered)
            for lead_pk, lead_id, entered in cursor.fetchall()
        ]
    if changes:
        _changes_announce(unit_id, changes, cause, now)
    return changes


def member_scores_sync(*, unit_id: str, lead_pks: Collection[int]) -> None:
    """Copy the leads' primary scores (0: none) onto their membership rows where they
    differ: whoever changes a lead's scores calls this in the same transaction."""
    if not lead_pks:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_MEMBERSHIP} m SET score = s.score FROM ("  # noqa: S608
            "SELECT x.lead_id, COALESCE(es.score, 0) AS score "
            "FROM unnest(%s::bigint[]) AS x(lead_id) "
            f"LEFT JOIN {_LEAD_SCORES} es ON es.lead_id = x.lead_id "
            f"AND es.ruleset_id = ({_PRIMARY_RULESET})) AS s "
            "WHERE m.lead_id = s.lead_id AND m.score <> s.score",
            [list(lead_pks), unit_id],
        )


def memberships_refresh(
    *,
    unit_id: str,
    lead_pks: Collection[int],
    cause: str,
    rule_types: frozenset[str] | None = None,
) -> None:
    """Re-evaluate the OU's active segments (those with a rule of `rule_types`, when given)
    for these leads, and apply the difference."""
    if not lead_pks:
        return
    segments = active_segments_rules(unit_id=unit_id)
    if rule_types is not None:
        segments = {
            pk: rules
            for pk, rules in segments.items()
            if any(rule.rule_type in rule_types for rule in rules)
        }
    _memberships_apply(unit_id, lead_pks, cause, segments)


def _memberships_apply(
    unit_id: str, lead_pks: Collection[int], cause: str, segments: dict[int, list[RuleSpec]]
) -> None:
    """`memberships_refresh` of these segments (the OU's active ones, or some of them)."""
    if not lead_pks or not segments:
        return  # an inactive segment has no members to lose
    current: dict[int, set[int]] = defaultdict(set)
    for segment_pk, lead_pk in (
        SegmentMembership.objects.for_ou(unit_id)
        .filter(lead_id__in=lead_pks, segment_id__in=segments)
        .values_list("segment_id", "lead_id")
    ):
        current[lead_pk].add(segment_pk)
    context = segment_context(unit_id=unit_id)
    predicates = {pk: segment_predicate(rules, context.levels) for pk, rules in segments.items()}
    changes = []
    for row in lead_facts(context=context, lead_pks=list(lead_pks)):
        for segment_pk, holds in predicates.items():
            member = not row.merged and holds(row.facts)
            if member != (segment_pk in current[row.lead_pk]):
                changes.append(MembershipChange(segment_pk, row.lead_pk, row.lead_id, member))
    membership_changes_apply(unit_id=unit_id, changes=changes, cause=cause)


def _event_rules(segments: dict[int, list[RuleSpec]]) -> list[RuleSpec]:
    return sorted(
        (rule for rules in segments.values() for rule in rules if rule.rule_type == EVENT_METADATA),
        key=lambda rule: rule.key or 0,
    )


# --- Match flags of event-metadata rules ----------------------------------------------------


def _matches_of_scored(lead: ScoredLead, rules: Sequence[RuleSpec]) -> set[tuple[int, int]]:
    """The flags the lead's scored events set: an unsuppressed, non-system event meeting the
    rule. `scored_events` is the whole history on a replay, so the flags are complete then."""
    by_type: dict[str, list[RuleSpec]] = defaultdict(list)
    for rule in rules:
        by_type[rule.event_type].append(rule)
    matches = set()
    for event, outcome in zip(lead.scored_events, lead.outcomes, strict=True):
        if event.system or outcome.suppression_reason is not None:
            continue
        for rule in (*by_type.get(event.event_type, ()), *by_type.get("", ())):
            if rule.key is not None and event_rule_matches(
                rule, event_type=event.event_type, metadata=event.metadata
            ):
                matches.add((rule.key, lead.lead_pk))
    return matches


def _matches_insert(unit_id: str, matches: Iterable[tuple[int, int]]) -> None:
    SegmentEventMatch.objects.bulk_create(
        [SegmentEventMatch(unit_id=unit_id, rule_id=r, lead_id=lead) for r, lead in matches],
        ignore_conflicts=True,
    )


def event_matches_rebuild(
    *, unit_id: str, rules: Sequence[RuleSpec], lead_pks: Sequence[int] | None = None
) -> None:
    """Set the rules' flags from the stored events (of these leads, or of the whole OU),
    clearing those of the leads given first."""
    if lead_pks is not None:
        SegmentEventMatch.objects.for_ou(unit_id).filter(lead_id__in=lead_pks).delete()
    table = EngagementEvent._meta.db_table
    with connection.cursor() as cursor:
        for rule in rules:
            params: list[Any] = [rule.key, unit_id]
            condition = event_match_sql(rule, event_alias="e", sql_params=params)
            scope = ""
            if lead_pks is not None:
                scope = " AND e.lead_id = ANY(%s)"
                params.append(list(lead_pks))
            cursor.execute(
                f"INSERT INTO {_MATCHES} (rule_id, lead_id, unit_id) "  # noqa: S608
                f"SELECT DISTINCT %s::bigint, e.lead_id, e.unit_id FROM {table} e "
                f"WHERE e.unit_id = %s AND {condition}{scope} "
                "ON CONFLICT (rule_id, lead_id) DO NOTHING",
                params,
            )


# --- Extension point subscribers -------------------------------------------------------------


def segments_on_scored_batch(batch: ScoredBatch) -> None:
    """SCORED_BATCH: flags from the batch's events, then the leads' membership (cause
    `event`)."""
    by_unit: dict[str, list[ScoredLead]] = defaultdict(list)
    for lead in batch.leads:
        by_unit[lead.unit_id].append(lead)
    for unit_id, leads in by_unit.items():
        segments = active_segments_rules(unit_id=unit_id)
        if not segments:
            continue  # no flags to set, no members to lose
        rules = _event_rules(segments)
        if rules:
            replayed = [lead.lead_pk for lead in leads if lead.replayed]
            if replayed:
                SegmentEventMatch.objects.for_ou(unit_id).filter(lead_id__in=replayed).delete()
            # A burst grouped earlier events (now suppressed): their flags are read again from
            # the processed events; the batch's own (still pending) are added below.
            regrouped = [
                lead.lead_pk
                for lead in leads
                if not lead.replayed and any(o.regrouped_seqs for o in lead.outcomes)
            ]
            if regrouped:
                event_matches_rebuild(unit_id=unit_id, rules=rules, lead_pks=regrouped)
            _matches_insert(unit_id, {m for lead in leads for m in _matches_of_scored(lead, rules)})
        # The batch's mappings (`remapped_lead_pks`) only change leads of the batch.
        lead_pks = {lead.lead_pk for lead in leads}
        _memberships_apply(unit_id, lead_pks, Cause.EVENT, segments)
        member_scores_sync(unit_id=unit_id, lead_pks=lead_pks)
        if any(rule.rule_type in ABM_TYPES for rules in segments.values() for rule in rules):
            _account_peers_refresh(unit_id, {lead.lead_pk for lead in leads})


def _account_peers_refresh(unit_id: str, lead_pks: Collection[int]) -> None:
    """A batch's account mappings, and an account's first score, change what account rules
    read of every lead of the account: its other leads are locked (in id order, after the
    batch's own: outside lead_locks' order, so a lost deadlock reruns the batch) and
    re-evaluated for the segments with account rules."""
    accounts = Lead.objects.for_ou(unit_id).filter(pk__in=lead_pks, account_id__isnull=False)
    peers = list(
        Lead.objects.for_ou(unit_id)
        .filter(account_id__in=accounts.values("account_id"), merged_into__isnull=True)
        .exclude(pk__in=lead_pks)
        .values_list("pk", flat=True)
    )
    if peers:
        leads_lock(lead_pks=peers)
        memberships_refresh(
            unit_id=unit_id, lead_pks=peers, cause=Cause.EVENT, rule_types=frozenset(ABM_TYPES)
        )


def segments_on_decay(payload: DecayApplied) -> None:
    """DECAY_APPLIED: scores fell; segments reading scores or engagement levels (cause
    `decay`), and the members' scores."""
    lead_pks = {lead.lead_pk for lead in payload.leads}
    memberships_refresh(
        unit_id=payload.unit_id, lead_pks=lead_pks, cause=Cause.DECAY, rule_types=_SCORE_RULE_TYPES
    )
    member_scores_sync(unit_id=payload.unit_id, lead_pks=lead_pks)


def segments_on_rescored(payload: LeadsRescored) -> None:
    """LEADS_RESCORED: a rescore chunk's scores; segments reading scores or engagement levels
    (cause `rescored`: a configuration change, no segment trigger fires), and the members'
    scores."""
    memberships_refresh(
        unit_id=payload.unit_id,
        lead_pks=payload.lead_pks,
        cause=Cause.RESCORED,
        rule_types=_SCORE_RULE_TYPES,
    )
    member_scores_sync(unit_id=payload.unit_id, lead_pks=payload.lead_pks)


def segments_on_metadata_changed(payload: LeadMetadataChanged) -> None:
    memberships_refresh(unit_id=payload.unit_id, lead_pks=payload.lead_pks, cause=Cause.METADATA)


def segments_on_merged(payload: LeadsMerged) -> None:
    """LEADS_MERGED: the sources leave every segment; the target, holding their events now,
    is re-evaluated with its flags rebuilt from its events (cause `merge`)."""
    rules = _event_rules(active_segments_rules(unit_id=payload.unit_id))
    event_matches_rebuild(
        unit_id=payload.unit_id, rules=rules, lead_pks=[payload.target_pk, *payload.source_pks]
    )
    memberships_refresh(
        unit_id=payload.unit_id,
        lead_pks={payload.target_pk, *payload.source_pks},
        cause=Cause.MERGE,
    )
    member_scores_sync(unit_id=payload.unit_id, lead_pks=[payload.target_pk])


def segments_on_deleting(payload: LeadsDeleting) -> None:
    """LEADS_DELETING: the leads leave every segment (cause `deleted`) before their rows go."""
    rows = (
        SegmentMembership.objects.for_ou(payload.unit_id)
        .filter(lead_id__in=payload.lead_pks)
        .values_list("segment_id", "lead_id", "lead__lead_id")
    )
    membership_changes_apply(
        unit_id=payload.unit_id,
        changes=[MembershipChange(s, pk, lead_id, entered=False) for s, pk, lead_id in rows],
        cause=Cause.DELETED,
    )
    SegmentEventMatch.objects.for_ou(payload.unit_id).filter(lead_id__in=payload.lead_pks).delete()
