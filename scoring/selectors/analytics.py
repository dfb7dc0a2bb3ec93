"""Analytics of an OU: event totals by type, the last 24 hours, top leads by score and recent
score gains.

Event types hidden in the OU's event-type settings are left out everywhere (§4.1), and so are
system events (DECAY): they are not engagement. Scores are the primary ruleset's. Every
figure is one SQL aggregate.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from orgunits.models import OrgUnit
from scoring.engine.levels import level_for
from scoring.models import EngagementEvent, EventScore, LeadScore, LeadScoringState
from scoring.selectors.config import hidden_event_types
from scoring.selectors.events import TimeWindow
from scoring.selectors.leads import leads_visible
from scoring.selectors.scores import engagement_levels, primary_ruleset

TOP_EVENT_TYPES = 10


def _engagement_events(*, ou: OrgUnit, window: TimeWindow) -> QuerySet[EngagementEvent]:
    events = EngagementEvent.objects.for_ou(ou).exclude(source=EngagementEvent.Source.SYSTEM)
    return window.filter(events.exclude(event_type__in=hidden_event_types(ou=ou)))


def _primary_points(*, ou: OrgUnit, window: TimeWindow) -> int:
    """Net points the primary ruleset's rules gave in the window (visible types only)."""
    primary = primary_ruleset(ou=ou)
    if primary is None:
        return 0
    rows = window.filter(
        EventScore.objects.for_ou(ou).filter(ruleset=primary, kind=EventScore.Kind.RULE)
    ).exclude(event__event_type__in=hidden_event_types(ou=ou))
    return rows.aggregate(points=Coalesce(Sum("delta"), 0))["points"]


@dataclass(frozen=True)
class EventTotals:
    events: int
    leads: int
    event_types: int
    suppressed_events: int
    points: int


@dataclass(frozen=True)
class Analytics:
    totals: EventTotals
    by_type: dict[str, int]


def analytics_overview(*, ou: OrgUnit, window: TimeWindow) -> Analytics:
    events = _engagement_events(ou=ou, window=window)
    by_type = dict(
        events.order_by()
        .values_list("event_type")
        .annotate(n=Count("*"))
        .order_by("-n", "event_type")
    )
    counts = events.aggregate(
        leads=Count("lead", distinct=True),
        suppressed=Count("seq", filter=Q(suppression_reason__isnull=False)),
    )
    return Analytics(
        totals=EventTotals(
            events=sum(by_type.values()),
            leads=counts["leads"],
            event_types=len(by_type),
            suppressed_events=counts["suppressed"],
            points=_primary_points(ou=ou, window=window),
        ),
        by_type=by_type,
    )


@dataclass(frozen=True)
class Last24h:
    events: int
    leads: int
    new_leads: int
    points: int


@dataclass(frozen=True)
class TypeCount:
    event_type: str
    count: int
    leads: int


@dataclass(frozen=True)
class AnalyticsStats:
    last_24h: Last24h
    top_events: list[TypeCount]


def analytics_stats(*, ou: OrgUnit, now: datetime.datetime) -> AnalyticsStats:
    """The last 24 hours: events, active leads, new leads, points; and its most frequent
    event types."""
    window = TimeWindow(start=now - datetime.timedelta(hours=24))
    events = _engagement_events(ou=ou, window=window)
    counts = events.aggregate(events=Count("seq"), leads=Count("lead", distinct=True))
    top = (
        events.order_by()
        .values("event_type")
        .annotate(count=Count("seq"), leads=Count("lead", distinct=True))
        .order_by("-count", "event_type")[:TOP_EVENT_TYPES]
    )
    new_leads = window.filter(
        leads_visible(ou=ou).filter(merged_into__isnull=True), "created_at"
    ).count()
    return AnalyticsStats(
        last_24h=Last24h(
            events=counts["events"],
            leads=counts["leads"],
            new_leads=new_leads,
            points=_primary_points(ou=ou, window=window),
        ),
        top_events=[TypeCount(t["event_type"], t["count"], t["leads"]) for t in top],
    )


@dataclass(frozen=True)
class RankedLead:
    lead_id: str
    score: int
    engagement_level: str | None
    last_event_type: str | None
    last_active_at: datetime.datetime | None


def top_leads(*, ou: OrgUnit, limit: int) -> list[RankedLead]:
    """The leads with the highest primary scores (ties: the lead created first), read from
    the `(ruleset, -score, lead)` index."""
    primary = primary_ruleset(ou=ou)
    if primary is None:
        return []
    visible = leads_visible(ou=ou).filter(merged_into__isnull=True, pk=OuterRef("lead_id"))
    rows = (
        LeadScore.objects.for_ou(ou)
        .filter(ruleset=primary)
        .filter(Exists(visible))
        .order_by("-score", "lead_id")
        .values_list("lead_id", "lead__lead_id", "score")[:limit]
    )
    rows = list(rows)
    return _ranked(ou=ou, rows=[(pk, lead_id, score) for pk, lead_id, score in rows])


def _ranked(*, ou: OrgUnit, rows: list[tuple[int, str, int]]) -> list[RankedLead]:
    levels = engagement_levels(ou=ou)
    states = {
        state["lead_id"]: state
        for state in LeadScoringState.objects.unscoped()
        .filter(lead_id__in=[pk for pk, _, _ in rows])
        .values("lead_id", "last_event_type", "last_activity_at")
    }
    return [
        RankedLead(
            lead_id=lead_id,
            score=score,
            engagement_level=level_for(score, levels),
            last_event_type=states.get(pk, {}).get("last_event_type"),
            last_active_at=states.get(pk, {}).get("last_activity_at"),
        )
        for pk, lead_id, score in rows
    ]


@dataclass(frozen=True)
class ScoreGain:
    lead_id: str
    gain: int
    events: int
    score: int
    engagement_level: str | None


def recent_gains(*, ou: OrgUnit, now: datetime.datetime, hours: int, limit: int) -> list[ScoreGain]:
    """Leads whose primary score rose most over the last `hours` hours: the net of their score
    rows there (rules, compensations, decay; rows of hidden types left out), positive only,
    largest first, with the number of events that scored and the current score."""
    primary = primary_ruleset(ou=ou)
    if primary is None:
        return []
    since = now - datetime.timedelta(hours=hours)
    visible = leads_visible(ou=ou).filter(merged_into__isnull=True, pk=OuterRef("lead_id"))
    gains = (
        EventScore.objects.for_ou(ou)
        .filter(ruleset=primary, occurred_at__gte=since)
        .exclude(event__event_type__in=hidden_event_types(ou=ou))
        .filter(Exists(visible))
        .values("lead_id", "lead__lead_id")
        .annotate(
            gain=Sum("delta"),
            events=Count("id", filter=Q(kind=EventScore.Kind.RULE)),
        )
        .filter(gain__gt=0)
        .order_by("-gain", "lead_id")[:limit]
    )
    gains = list(gains)
    scores = dict(
        LeadScore.objects.for_ou(ou)
        .filter(ruleset=primary, lead_id__in=[g["lead_id"] for g in gains])
        .values_list("lead_id", "score")
    )
    levels = engagement_levels(ou=ou)
    return [
        ScoreGain(
            lead_id=g["lead__lead_id"],
            gain=g["gain"],
            events=g["events"],
            score=scores.get(g["lead_id"], 0),
            engagement_level=level_for(scores.get(g["lead_id"], 0), levels),
        )
        for g in gains
    ]
