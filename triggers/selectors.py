"""Reads of triggers, of what they fired (emitted events, surge events and their metrics) and
of the deliveries of those firings.

Triggers are addressed by their public id (`tr_12`) through their kind: an id of another OU,
of another kind, or one that cannot name a trigger is not found (404). In lists, a trigger id
filter that names no trigger of the OU simply matches nothing.
"""

import datetime
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db.models import Count, DateTimeField, F, Func, Q, QuerySet, Value

from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.models import EngagementEvent
from scoring.selectors.events import EXPORT_CHUNK_SIZE, TimeWindow
from triggers.models import Delivery, Firing, Trigger

FIRING_ID_PREFIX = "fi_"
DELIVERY_ID_PREFIX = "dl_"
MAX_SURGE_BUCKETS = 1000


# --- Triggers -------------------------------------------------------------------------------


def triggers_list(*, ou: OrgUnit, kind: str) -> QuerySet[Trigger]:
    """The OU's triggers of one kind, oldest first."""
    return Trigger.objects.for_ou(ou).filter(kind=kind).order_by("id")


def trigger_get(*, ou: OrgUnit, kind: str, trigger_id: str) -> Trigger:
    """The OU's trigger of `kind` named by `trigger_id`; NotFoundError otherwise."""
    pk = Trigger.pk_from_public_id(trigger_id)
    found = triggers_list(ou=ou, kind=kind).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFoundError()
    return found


def _of_trigger(queryset: QuerySet, trigger_id: str | None, field: str = "trigger") -> QuerySet:
    if trigger_id is None:
        return queryset
    pk = Trigger.pk_from_public_id(trigger_id)
    return queryset.filter(**{field: pk}) if pk is not None else queryset.none()


# --- Emitted events (firings) ---------------------------------------------------------------

# Delivery counts of a firing, by status, annotated as `deliveries_<status>`.
_DELIVERY_COUNTS = {
    f"deliveries_{status}": Count("deliveries", filter=Q(deliveries__status=status))
    for status in Delivery.Status.values
}


def firings_list(
    *,
    ou: OrgUnit,
    kinds: Sequence[str],
    lead_id: str | None = None,
    trigger_id: str | None = None,
    channel: str | None = None,
    window: TimeWindow | None = None,
) -> QuerySet[Firing]:
    """The OU's firings of `kinds`, newest first (the firing event's time, then creation);
    optionally only those of one lead (its client id), of one trigger, of one channel (the
    firing event's), and whose event's time lies within `window`."""
    firings = Firing.objects.for_ou(ou).filter(kind__in=kinds)
    if window is not None:
        firings = window.filter(firings)
    if lead_id is not None:
        firings = firings.filter(lead__lead_id=lead_id)
    if channel is not None:
        firings = firings.filter(channel=channel)
    return _of_trigger(firings, trigger_id).order_by("-occurred_at", "-id")


def firing_items(firings: QuerySet[Firing]) -> QuerySet[Firing]:
    """What an emitted-event item of the API shows: the firing with its trigger's name, its
    lead's client id and its deliveries counted by status (`deliveries_<status>`)."""
    return (
        firings.select_related("trigger", "lead")
        .only(
            "id",
            "trigger__name",
            "lead__lead_id",
            "kind",
            "event_seq",
            "event_type",
            "channel",
            "score",
            "payload",
            "occurred_at",
            "created_at",
        )
        .annotate(**_DELIVERY_COUNTS)
    )


FIRING_EXPORT_COLUMNS = (
    "id",
    "trigger_id",
    "trigger_name",
    "type",
    "lead_id",
    "event_id",
    "event_type",
    "score",
    "channel",
    "occurred_at",
    "created_at",
    *_DELIVERY_COUNTS,
)


def firings_export_rows(firings: QuerySet[Firing]) -> Iterator[tuple]:
    """Rows of FIRING_EXPORT_COLUMNS for `firings` (a firings_list), read through a server-side
    cursor in chunks, so memory stays flat however many match."""
    rows = firings.annotate(**_DELIVERY_COUNTS).values_list(
        "id",
        "trigger_id",
        "trigger__name",
        "kind",
        "lead__lead_id",
        "event_seq",
        "event_type",
        "score",
        "channel",
        "occurred_at",
        "created_at",
        *_DELIVERY_COUNTS,
    )
    for firing_pk, trigger_pk, name, kind, lead_id, seq, *rest in rows.iterator(
        chunk_size=EXPORT_CHUNK_SIZE
    ):
        yield (
            f"{FIRING_ID_PREFIX}{firing_pk}",
            f"{Trigger.ID_PREFIX}{trigger_pk}",
            name,
            kind,
            lead_id,
            None if seq is None else f"{EngagementEvent.ID_PREFIX}{seq}",
            *rest,
        )


# --- Deliveries -----------------------------------------------------------------------------


def deliveries_list(
    *,
    ou: OrgUnit,
    status: str | None = None,
    channel: str | None = None,
    trigger_id: str | None = None,
) -> QuerySet[Delivery]:
    """The OU's deliveries, newest first, with their firing's trigger and lead."""
    deliveries = Delivery.objects.for_ou(ou)
    if status is not None:
        deliveries = deliveries.filter(status=status)
    if channel is not None:
        deliveries = deliveries.filter(channel=channel)
    deliveries = _of_trigger(deliveries, trigger_id, field="firing__trigger")
    return deliveries.select_related("firing__lead").order_by("-created_at", "-id")


# --- Surge metrics --------------------------------------------------------------------------


@dataclass(frozen=True)
class SurgeBucket:
    bucket_start: datetime.datetime
    surges: int
    leads: int


@dataclass(frozen=True)
class SurgeMetrics:
    surges: int
    leads: int
    # Surges by channel (only the filtered channel's under a channel filter).
    by_channel: dict[str, int]
    # Channels with surges in the range, sorted, whatever the channel filter.
    channels: list[str]
    peak: SurgeBucket | None
    series: list[SurgeBucket]


def surge_metrics(
    *,
    ou: OrgUnit,
    start: datetime.datetime,
    end: datetime.datetime,
    interval: datetime.timedelta,
    channel: str | None = None,
) -> SurgeMetrics:
    """The OU's surge events in `[start, end)`, counted in buckets of `interval` from `start`
    (the last one cut at `end`; buckets without surges included) and in total. `leads` counts
    distinct leads. The peak is the earliest bucket with the most surges, None without any.
    `channel` narrows everything but `channels`."""
    surges = TimeWindow(start=start, end=end).filter(
        Firing.objects.for_ou(ou).filter(kind=Firing.Kind.SURGE)
    )
    all_channels = dict(
        surges.order_by("channel").values_list("channel").annotate(surges=Count("id"))
    )
    by_channel = all_channels
    if channel is not None:
        surges = surges.filter(channel=channel)
        by_channel = {name: n for name, n in all_channels.items() if name == channel}
    totals = surges.aggregate(surges=Count("id"), leads=Count("lead", distinct=True))
    counted = {
        row["bucket"]: SurgeBucket(row["bucket"], row["surges"], row["leads"])
        for row in surges.annotate(
            bucket=Func(
                Value(interval),
                F("occurred_at"),
                Value(start),
                function="date_bin",
                output_field=DateTimeField(),
            )
        )
        .order_by("bucket")
        .values("bucket")
        .annotate(surges=Count("id"), leads=Count("lead", distinct=True))
    }
    series = [
        counted.get(bucket_start, SurgeBucket(bucket_start, 0, 0))
        for bucket_start in (
            start + index * interval for index in range(surge_bucket_count(start, end, interval))
        )
    ]
    peak = max(series, key=lambda bucket: bucket.surges, default=None)
    return SurgeMetrics(
        surges=totals["surges"],
        leads=totals["leads"],
        by_channel=by_channel,
        channels=sorted(all_channels),
        peak=peak if peak is not None and peak.surges else None,
        series=series,
    )


def surge_bucket_count(
    start: datetime.datetime, end: datetime.datetime, interval: datetime.timedelta
) -> int:
    return math.ceil((end - start) / interval)
