"""Reads of engagement events, and of a lead's activity (its events and orders)."""

import datetime
import json
import math
import operator
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import reduce

from django.db import connection
from django.db.models import (
    Case,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.engine import DECAY_EVENT_TYPE
from scoring.models import DecayRule, EngagementEvent, EventScore, Lead, Order, Ruleset
from scoring.selectors.config import hidden_event_types


def events_ingested_count(*, org_id: str, unit_id: str | None, since: datetime.datetime) -> int:
    events = EngagementEvent.objects.unscoped().filter(org_id=org_id, received_at__gte=since)
    if unit_id is not None:
        events = events.filter(unit_id=unit_id)
    return events.exclude(source=EngagementEvent.Source.SYSTEM).count()


# --- Event lists, filters and exports -------------------------------------------------------

TIME_RANGES = ("all", "today", "yesterday", "last_24h", "last_7d", "last_30d", "last_90d", "custom")
_TRAILING_RANGES = {
    "last_24h": datetime.timedelta(hours=24),
    "last_7d": datetime.timedelta(days=7),
    "last_30d": datetime.timedelta(days=30),
    "last_90d": datetime.timedelta(days=90),
}
# GET /events/types/{t}/properties reads the keys of this many of the type's latest events.
PROPERTIES_SAMPLE_SIZE = 10_000
EXPORT_CHUNK_SIZE = 2000
# A JSON number, exactly as JSON spells it (no NaN, no leading +, no hex).
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")

MetadataFilter = tuple[str, str]


@dataclass(frozen=True)
class TimeWindow:
    """`start <= occurred_at < end`; either bound may be open (None)."""

    start: datetime.datetime | None = None
    end: datetime.datetime | None = None

    def filter(self, queryset: QuerySet, field_name: str = "occurred_at") -> QuerySet:
        if self.start is not None:
            queryset = queryset.filter(**{f"{field_name}__gte": self.start})
        if self.end is not None:
            queryset = queryset.filter(**{f"{field_name}__lt": self.end})
        return queryset


def time_window(
    name: str,
    *,
    now: datetime.datetime,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> TimeWindow:
    """The window of a named range (UTC days for `today` and `yesterday`). `custom` spans
    `start` to `end`, both included; the trailing ranges end at no upper bound, so events
    stamped a little in the future are still shown."""
    if name == "all":
        return TimeWindow()
    if name in _TRAILING_RANGES:
        return TimeWindow(start=now - _TRAILING_RANGES[name])
    midnight = now.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = datetime.timedelta(days=1)
    if name == "today":
        return TimeWindow(start=midnight, end=midnight + day)
    if name == "yesterday":
        return TimeWindow(start=midnight - day, end=midnight)
    if name == "custom" and start is not None and end is not None:
        # Timestamps are stored to the microsecond: the next one makes `end` inclusive.
        return TimeWindow(start=start, end=end + datetime.timedelta(microseconds=1))
    raise ValueError(f"unknown time range {name!r} or custom range without start and end")


def metadata_condition(filters: Sequence[MetadataFilter], *, logic: str = "and") -> Q:
    """`metadata=key:value` filters as JSONB containment (`@>`), which the GIN index serves.

    A value matches the string itself and, when it spells a JSON number or boolean, that
    number or boolean too (`count:3` finds `{"count": "3"}` and `{"count": 3}`). Keys are
    top-level keys, taken literally (no paths).
    """
    conditions = [_metadata_match(key, value) for key, value in filters]
    return reduce(operator.or_ if logic == "or" else operator.and_, conditions)


def _metadata_match(key: str, value: str) -> Q:
    condition = Q(metadata__contains={key: value})
    if value in ("true", "false"):
        condition |= Q(metadata__contains={key: value == "true"})
    elif _JSON_NUMBER.fullmatch(value):
        number = json.loads(value)
        if math.isfinite(number):  # 1e999 parses to infinity, which JSON cannot spell
            condition |= Q(metadata__contains={key: number})
    return condition


@dataclass(frozen=True)
class EventFilters:
    """Filters of GET /events and its export; every one given must hold.

    `received_since` turns the list into the incremental-sync feed: oldest arrival first,
    `(received_at, seq)`, from `received_since` included; with `after_seq` as well, only the
    events after the one of that seq (whose `received_at` is `received_since`), so a client
    resumes after the last event it read, whatever ties share its `received_at`.
    """

    metadata: Sequence[MetadataFilter] = ()
    logic: str = "and"
    lead_id: str | None = None
    event_types: Sequence[str] = ()
    channel: str | None = None
    occurred_since: datetime.datetime | None = None
    received_since: datetime.datetime | None = None
    after_seq: int | None = None


def events_list(*, ou: OrgUnit, filters: EventFilters) -> QuerySet[EngagementEvent]:
    """The OU's events matching `filters`: newest first (`occurred_at`, then arrival), or in
    arrival order `(received_at, seq)` with `received_since` (the sync feed). An unknown
    `lead_id` matches nothing."""
    events = EngagementEvent.objects.for_ou(ou)
    if filters.metadata:
        events = events.filter(metadata_condition(filters.metadata, logic=filters.logic))
    if filters.lead_id is not None:
        # The lead's key, so that its `(lead, occurred_at, seq)` index serves the list.
        lead = Lead.objects.for_ou(ou).filter(lead_id=filters.lead_id).values("pk")
        events = events.filter(lead=Subquery(lead))
    if filters.event_types:
        events = events.filter(event_type__in=filters.event_types)
    if filters.channel is not None:
        events = events.filter(channel=filters.channel)
    if filters.occurred_since is not None:
        events = events.filter(occurred_at__gte=filters.occurred_since)
    if filters.received_since is None:
        return events.order_by("-occurred_at", "-seq")
    events = events.filter(received_at__gte=filters.received_since)
    if filters.after_seq is not None:
        events = events.filter(
            Q(received_at__gt=filters.received_since) | Q(seq__gt=filters.after_seq)
        )
    return events.order_by("received_at", "seq")


class _DecayIdInMetadata(Func):
    """A DECAY event's metadata with the decay rule's public id (`decay_id: "dc_<n>"`) in
    place of the internal `decay_rule_id` the engine stores and replays."""

    output_field = JSONField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        metadata, params = compiler.compile(self.source_expressions[0])
        sql = (
            f"(({metadata}) - 'decay_rule_id') || jsonb_build_object('decay_id', "
            f"%s || (({metadata}) ->> 'decay_rule_id'))"
        )
        return sql, [*params, DecayRule.ID_PREFIX, *params]


def _public_metadata() -> Case:
    decay = Q(
        event_type=DECAY_EVENT_TYPE,
        source=EngagementEvent.Source.SYSTEM,
        metadata__has_key="decay_rule_id",
    )
    return Case(
        When(decay, then=_DecayIdInMetadata(F("metadata"))),
        default=F("metadata"),
        output_field=JSONField(),
    )


def event_items(*, ou: OrgUnit, events: QuerySet[EngagementEvent]) -> QuerySet[EngagementEvent]:
    """What an event item of the API shows, in one query with its lead's client id:
    `public_metadata` (DECAY events name their decay rule by its public id) and `score_delta`
    (the event's points in the OU's primary ruleset; None while the event is pending)."""
    pending = Q(status=EngagementEvent.Status.PENDING)
    return (
        events.select_related("lead")
        .only(
            "seq",
            "lead__lead_id",
            "event_type",
            "occurred_at",
            "received_at",
            "channel",
            "source",
            "status",
            "suppression_reason",
        )
        .annotate(
            public_metadata=_public_metadata(),
            score_delta=Case(
                When(pending, then=Value(None)),
                default=_primary_points_of_event(ou),
                output_field=IntegerField(),
            ),
        )
    )


def event_items_page(
    *, ou: OrgUnit, events: QuerySet[EngagementEvent], offset: int, limit: int
) -> QuerySet[EngagementEvent]:
    """One page of `events` (in their order) as event items. The page's rows are picked
    first: with the page's OFFSET on the items themselves, PostgreSQL would compute every
    skipped row's `score_delta` too, so the last page of a 10,000-event lead cost 20 times the
    first."""
    page = events.values("seq")[offset : offset + limit]
    rows = EngagementEvent.objects.for_ou(ou).filter(seq__in=page)
    return event_items(ou=ou, events=rows.order_by(*events.query.order_by))


EXPORT_COLUMNS = ("id", "lead_id", "event_type", "timestamp", "channel", "source", "metadata")


def events_export_rows(*, ou: OrgUnit, filters: EventFilters) -> Iterator[tuple]:
    """Rows of EXPORT_COLUMNS (id as `ev_<seq>`, metadata as a dict, as event items show it),
    read through a server-side cursor in chunks, so memory stays flat however many events
    match."""
    rows = (
        events_list(ou=ou, filters=filters)
        .annotate(public_metadata=_public_metadata())
        .values_list(
            "seq",
            "lead__lead_id",
            "event_type",
            "occurred_at",
            "channel",
            "source",
            "public_metadata",
        )
    )
    for seq, *rest in rows.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        yield (f"{EngagementEvent.ID_PREFIX}{seq}", *rest)


def event_types_list(*, ou: OrgUnit) -> list[str]:
    """Distinct event types of the OU, sorted, without the types hidden in the OU's event-type
    settings."""
    types = (
        EngagementEvent.objects.for_ou(ou)
        .exclude(event_type__in=hidden_event_types(ou=ou))
        .values_list("event_type", flat=True)
    )
    return list(types.distinct().order_by("event_type"))


def event_channels_list(*, ou: OrgUnit) -> list[str]:
    channels = EngagementEvent.objects.for_ou(ou).values_list("channel", flat=True)
    return list(channels.distinct().order_by("channel"))


def event_type_properties(*, ou: OrgUnit, event_type: str) -> list[str]:
    """Distinct top-level metadata keys among the type's latest PROPERTIES_SAMPLE_SIZE events
    (by arrival), computed in SQL. A type the OU has no events of is not found."""
    events = EngagementEvent.objects.for_ou(ou).filter(event_type=event_type)
    if not events.exists():
        raise NotFoundError()
    sample = events.order_by("-seq").values("metadata")[:PROPERTIES_SAMPLE_SIZE]
    sample_sql, params = sample.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT key FROM (" + sample_sql + ") AS sample "  # noqa: S608 - Django's SQL
            "CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(sample.metadata) = "
            "'object' THEN sample.metadata ELSE '{}'::jsonb END) AS key ORDER BY key",
            params,
        )
        return [key for (key,) in cursor.fetchall()]


# --- One lead's events and activity ---------------------------------------------------------


def _lead_of_ou(*, ou: OrgUnit, lead_id: str) -> Lead:
    lead = Lead.objects.for_ou(ou).filter(lead_id=lead_id).only("id", "lead_id").first()
    if lead is None:
        raise NotFoundError()
    return lead


def lead_events(*, ou: OrgUnit, lead_id: str) -> QuerySet[EngagementEvent]:
    """The lead's events, newest first; NotFoundError when the OU has no such lead."""
    lead = _lead_of_ou(ou=ou, lead_id=lead_id)
    return EngagementEvent.objects.for_ou(ou).filter(lead=lead).order_by("-occurred_at", "-seq")


@dataclass
class LeadActivity:
    events: list[EngagementEvent]
    orders: list[Order]
    # Events and orders together, newest first, at most `limit` of them.
    timeline: list[EngagementEvent | Order]


def lead_activity(
    *,
    ou: OrgUnit,
    lead_id: str,
    window: TimeWindow,
    channel: str | None = None,
    max_latency_ms: int | None = None,
    min_score: int | None = None,
    has_delta: bool | None = None,
    limit: int = 100,
) -> LeadActivity:
    """The lead's newest `limit` events and orders within `window`. `channel`,
    `max_latency_ms` (received_at - occurred_at), `min_score` (the event's points in the
    primary ruleset, 0 without any, at least this) and `has_delta` (whether those points are
    not 0) narrow the events only."""
    lead = _lead_of_ou(ou=ou, lead_id=lead_id)
    events = window.filter(EngagementEvent.objects.for_ou(ou).filter(lead=lead))
    if channel is not None:
        events = events.filter(channel=channel)
    if max_latency_ms is not None:
        events = events.alias(
            latency=ExpressionWrapper(
                F("received_at") - F("occurred_at"), output_field=DurationField()
            )
        ).filter(latency__lte=datetime.timedelta(milliseconds=max_latency_ms))
    if min_score is not None or has_delta is not None:
        events = events.alias(points=_primary_points_of_event(ou))
        if min_score is not None:
            events = events.filter(points__gte=min_score)
        if has_delta is not None:
            events = events.exclude(points=0) if has_delta else events.filter(points=0)
    event_rows = list(event_items(ou=ou, events=events.order_by("-occurred_at", "-seq"))[:limit])
    orders = window.filter(Order.objects.for_ou(ou).filter(lead=lead))
    order_rows = list(orders.order_by("-occurred_at", "-id")[:limit])
    for row in order_rows:
        row.lead = lead
    timeline = sorted([*event_rows, *order_rows], key=lambda row: row.occurred_at, reverse=True)
    return LeadActivity(events=event_rows, orders=order_rows, timeline=timeline[:limit])


def _primary_points_of_event(ou: OrgUnit) -> Coalesce:
    """The points an event made in the OU's primary ruleset (its score rows summed: its rules'
    points, a compensation it applied), 0 when it has none."""
    primary = Ruleset.objects.for_ou(ou).filter(is_primary=True).values("pk")[:1]
    points = (
        EventScore.objects.unscoped()
        .filter(event=OuterRef("seq"), ruleset=Subquery(primary))
        .order_by()
        .values("event")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    return Coalesce(Subquery(points), 0)


# --- Orders ---------------------------------------------------------------------------------


def orders_list(*, ou: OrgUnit, lead_id: str | None = None) -> QuerySet[Order]:
    """The OU's orders, newest first; only one lead's with `lead_id` (none if it is unknown)."""
    orders = Order.objects.for_ou(ou)
    if lead_id is not None:
        orders = orders.filter(lead__lead_id=lead_id)
    return orders.select_related("lead").order_by("-occurred_at", "-id")


def processed_events_received_at(
    *, lead_pks: Sequence[int]
) -> dict[int, dict[int, datetime.datetime]]:
    """When each processed event of these leads was received, by lead and seq (the pipeline's
    subscribers, for leads a late event replayed)."""
    by_lead: dict[int, dict[int, datetime.datetime]] = {pk: {} for pk in lead_pks}
    rows = (
        EngagementEvent.objects.unscoped()
        .filter(lead_id__in=lead_pks, status=EngagementEvent.Status.PROCESSED)
        .values_list("lead_id", "seq", "received_at")
    )
    for lead_pk, seq, received_at in rows.iterator(chunk_size=5000):
        by_lead[lead_pk][seq] = received_at
    return by_lead
