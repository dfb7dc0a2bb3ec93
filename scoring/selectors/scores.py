"""Reads of scores: one lead's score, batch scores, engagement levels, and the explanations of
a lead's score and of one event's (architecture.md §4).

A lead without a stored score in a ruleset has 0 there. Explanations are computed with SQL
aggregates over `EventScore` and `EngagementEvent`, bounded by the lead's index
`(lead, occurred_at)`, never by reading every event into Python.
"""

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, IntegerField, Q, Sum
from django.db.models.functions import Cast, Coalesce, Round

from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.engine.levels import LevelRange, level_for
from scoring.engine.scorer import Suppression
from scoring.models import EngagementEvent, EventScore, LeadScore, Level, Rule, Ruleset
from scoring.selectors.config import levels_list
from scoring.selectors.leads import lead_get, leads_visible

PRIMARY = "primary"
EXPLAIN_TOP_DRIVERS = 10
EXPLAIN_SURGE_ITEMS = 50
_EVENT_ID = re.compile(rf"{EngagementEvent.ID_PREFIX}([0-9]{{1,18}})")
# The surge boost of a rule row (§4.4): round_half_up(weight x multiplier) - weight, before
# the floor (PostgreSQL rounds numeric halves away from zero, as the engine does).
SURGE_BOOST = Cast(Round(F("weight") * F("multiplier")), IntegerField()) - F("weight")


def primary_ruleset(*, ou: OrgUnit) -> Ruleset | None:
    return Ruleset.objects.for_ou(ou).filter(is_primary=True).first()


def ruleset_by_reference(*, ou: OrgUnit, reference: str) -> Ruleset | None:
    """The OU's ruleset named by `primary` (None when the OU has none), by its id (`rs_12`)
    or by its name; NotFoundError when no ruleset of the OU answers to it."""
    if reference == PRIMARY:
        return primary_ruleset(ou=ou)
    rulesets = Ruleset.objects.for_ou(ou)
    pk = Ruleset.pk_from_public_id(reference)
    found = rulesets.filter(pk=pk).first() if pk is not None else None
    found = found or rulesets.filter(name=reference).first()
    if found is None:
        raise NotFoundError("Ruleset not found")
    return found


def engagement_levels(*, ou: OrgUnit) -> list[LevelRange]:
    return [
        LevelRange(level.name, level.min_score, level.max_score)
        for level in levels_list(ou=ou, kind=Level.Kind.ENGAGEMENT)
    ]


@dataclass(frozen=True)
class LeadScoreView:
    lead_id: str
    score: int
    ruleset_id: str | None  # the ruleset the score is from; None when the lead has none
    engagement_level: str | None


def lead_score_get(*, ou: OrgUnit, lead_id: str, ruleset_id: str | None = None) -> LeadScoreView:
    """The lead's score in `ruleset_id`, or without it the highest across the OU's active
    rulesets (0 when it has none). The level is the engagement level containing the primary
    score."""
    lead = lead_get(ou=ou, lead_id=lead_id)
    scores = LeadScore.objects.for_ou(ou).filter(lead=lead)
    primary = primary_ruleset(ou=ou)
    if ruleset_id is not None:
        ruleset = ruleset_by_reference(ou=ou, reference=ruleset_id)
        row = scores.filter(ruleset=ruleset).values_list("score", flat=True).first()
        score, source = row or 0, ruleset.public_id
    else:
        best = (
            scores.filter(ruleset__active=True)
            .order_by("-score", "ruleset_id")
            .values_list("score", "ruleset_id")
            .first()
        )
        score, source = best if best else (0, None)
        if source is not None:
            source = f"{Ruleset.ID_PREFIX}{source}"
    primary_score = 0
    if primary is not None:
        primary_score = scores.filter(ruleset=primary).values_list("score", flat=True).first() or 0
    return LeadScoreView(
        lead_id=lead.lead_id,
        score=score,
        ruleset_id=source,
        engagement_level=level_for(primary_score, engagement_levels(ou=ou)),
    )


@dataclass(frozen=True)
class BatchScore:
    lead_id: str
    found: bool
    score: int | None  # None for an unknown lead
    engagement_level: str | None


@dataclass(frozen=True)
class BatchScores:
    ruleset_id: str | None  # None: the OU has no primary ruleset (every score is 0)
    scores: list[BatchScore]


def lead_scores_batch(*, ou: OrgUnit, lead_ids: Sequence[str], ruleset: str) -> BatchScores:
    """One item per distinct requested id, in request order: a visible, unmerged lead of the
    OU has its score in the ruleset (0 without one); any other id is reported `found: false`.
    Levels are shown for the primary ruleset's scores only (levels are defined on it)."""
    chosen = ruleset_by_reference(ou=ou, reference=ruleset)
    wanted = list(dict.fromkeys(lead_ids))
    leads = dict(
        leads_visible(ou=ou)
        .filter(merged_into__isnull=True, lead_id__in=wanted)
        .values_list("lead_id", "id")
    )
    scores: dict[int, int] = {}
    if chosen is not None:
        scores = dict(
            LeadScore.objects.for_ou(ou).filter(ruleset=chosen, lead_id__in=leads.values())
            .values_list("lead_id", "score")
        )  # fmt: skip
    levels = engagement_levels(ou=ou) if chosen is None or chosen.is_primary else None
    items = []
    for lead_id in wanted:
        if lead_id not in leads:
            items.append(BatchScore(lead_id, found=False, score=None, engagement_level=None))
            continue
        score = scores.get(leads[lead_id], 0)
        level = level_for(score, levels) if levels is not None else None
        items.append(BatchScore(lead_id, found=True, score=score, engagement_level=level))
    return BatchScores(ruleset_id=chosen.public_id if chosen else None, scores=items)


# --- Explanations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Driver:
    event_type: str
    points: int
    events: int


@dataclass(frozen=True)
class RuleWeight:
    rule_id: str
    event_type: str
    weight: int
    active: bool
    start_at: datetime.datetime | None
    end_at: datetime.datetime | None


@dataclass(frozen=True)
class SurgeBoost:
    event_id: str
    event_type: str
    occurred_at: datetime.datetime
    weight: int
    multiplier: Decimal
    delta: int
    boost: int


@dataclass(frozen=True)
class LeadExplanation:
    lead_id: str
    ruleset_id: str | None
    score: int
    range_hours: int
    since: datetime.datetime
    top_drivers: list[Driver]
    snapshot: list[RuleWeight]
    surge_boost: list[SurgeBoost]
    surge_total: int
    surge_event_count: int
    decay_applied: int
    compensation_applied: int
    inorganic_count: int
    points_in_range: int


def lead_explain(
    *,
    ou: OrgUnit,
    lead_id: str,
    hours: int,
    now: datetime.datetime,
    ruleset_id: str | None = None,
) -> LeadExplanation:
    """What made the lead's score in the last `hours` hours (primary ruleset unless
    `ruleset_id` names another): the event types that scored most, the rules' current
    weights, the surge boosts (points above the rules' weight), decay and grouped-burst
    compensations taken, and how many events inorganic filters suppressed."""
    lead = lead_get(ou=ou, lead_id=lead_id)
    ruleset = ruleset_by_reference(ou=ou, reference=ruleset_id or PRIMARY)
    since = now - datetime.timedelta(hours=hours)
    suppressed = (
        EngagementEvent.objects.for_ou(ou)
        .filter(lead=lead, occurred_at__gte=since)
        .filter(suppression_reason__in=[Suppression.INORGANIC, Suppression.INORGANIC_GROUPED])
        .count()
    )
    empty = LeadExplanation(
        lead_id=lead.lead_id, ruleset_id=None, score=0, range_hours=hours, since=since,
        top_drivers=[], snapshot=[], surge_boost=[], surge_total=0, surge_event_count=0,
        decay_applied=0, compensation_applied=0, inorganic_count=suppressed, points_in_range=0,
    )  # fmt: skip
    if ruleset is None:
        return empty
    rows = EventScore.objects.for_ou(ou).filter(lead=lead, ruleset=ruleset, occurred_at__gte=since)
    rule_rows = rows.filter(kind=EventScore.Kind.RULE)
    boosted = rule_rows.filter(multiplier__gt=1).annotate(boost=SURGE_BOOST).exclude(boost=0)
    is_boost = Q(kind=EventScore.Kind.RULE, multiplier__gt=1)
    totals = rows.aggregate(
        points=Coalesce(Sum("delta"), 0),
        decay=Coalesce(Sum("delta", filter=Q(kind=EventScore.Kind.DECAY)), 0),
        compensation=Coalesce(Sum("delta", filter=Q(kind=EventScore.Kind.COMPENSATION)), 0),
        surge_total=Coalesce(Sum(SURGE_BOOST, filter=is_boost), 0),
    )
    surge_events = boosted.count()
    drivers = (
        rule_rows.values(event_type=F("event__event_type"))
        .annotate(points=Sum("delta"), events=Count("id"))
        .order_by("-points", "event_type")[:EXPLAIN_TOP_DRIVERS]
    )
    boosts = (
        boosted.order_by("-occurred_at", "-event_id").values(
            "event_id",
            "event__event_type",
            "occurred_at",
            "weight",
            "multiplier",
            "delta",
            "boost",
        )
    )[:EXPLAIN_SURGE_ITEMS]
    rules = Rule.objects.for_ou(ou).filter(ruleset=ruleset).order_by("event_type", "id")
    score = (
        LeadScore.objects.for_ou(ou)
        .filter(lead=lead, ruleset=ruleset)
        .values_list("score", flat=True)
    )
    return LeadExplanation(
        lead_id=lead.lead_id,
        ruleset_id=ruleset.public_id,
        score=score.first() or 0,
        range_hours=hours,
        since=since,
        top_drivers=[Driver(d["event_type"], d["points"], d["events"]) for d in drivers],
        snapshot=[
            RuleWeight(
                rule.public_id,
                rule.event_type,
                rule.weight,
                rule.active,
                rule.start_at,
                rule.end_at,
            )
            for rule in rules
        ],
        surge_boost=[
            SurgeBoost(
                event_id=f"{EngagementEvent.ID_PREFIX}{b['event_id']}",
                event_type=b["event__event_type"],
                occurred_at=b["occurred_at"],
                weight=b["weight"],
                multiplier=b["multiplier"],
                delta=b["delta"],
                boost=b["boost"],
            )
            for b in boosts
        ],
        surge_total=totals["surge_total"],
        surge_event_count=surge_events,
        decay_applied=-totals["decay"],
        compensation_applied=-totals["compensation"],
        inorganic_count=suppressed,
        points_in_range=totals["points"],
    )


@dataclass(frozen=True)
class EventRulesetScore:
    ruleset_id: str
    ruleset_name: str
    kind: str
    rule_ids: list[str]
    weight: int
    multiplier: Decimal
    delta: int
    before: int
    after: int


@dataclass(frozen=True)
class EventExplanation:
    event: EngagementEvent
    rulesets: list[EventRulesetScore]


def event_explain(*, ou: OrgUnit, event_id: str) -> EventExplanation:
    """The event's score rows by ruleset: its rules' points (kind `rule`), and when it is a
    DECAY event or grouped a burst, the decay or the compensation it applied."""
    seq = event_seq_from_public_id(event_id)
    event = (
        EngagementEvent.objects.for_ou(ou).select_related("lead").filter(seq=seq).first()
        if seq is not None
        else None
    )
    if event is None:
        raise NotFoundError()
    rows = (
        EventScore.objects.for_ou(ou)
        .filter(event=event)
        .select_related("ruleset")
        .order_by("ruleset_id", "kind")
    )
    return EventExplanation(
        event=event,
        rulesets=[
            EventRulesetScore(
                ruleset_id=row.ruleset.public_id,
                ruleset_name=row.ruleset.name,
                kind=row.kind,
                rule_ids=[f"{Rule.ID_PREFIX}{pk}" for pk in row.rule_ids],
                weight=row.weight,
                multiplier=row.multiplier,
                delta=row.delta,
                before=row.score_before,
                after=row.score_after,
            )
            for row in rows
        ],
    )


def event_seq_from_public_id(value: str) -> int | None:
    """The seq an event id (`ev_<n>`, at most 18 digits) names, or None."""
    match = _EVENT_ID.fullmatch(value)
    return int(match.group(1)) if match else None
