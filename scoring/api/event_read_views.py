"""Reading stored events: lists with metadata filters, types, channels, properties, the CSV
export, one lead's events and activity stream; deleting events; orders.

Items never show the deprecated `alias_kind` / `alias` fields (the spec: accepted on ingest,
never returned by reads).
"""

import re
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from leadvibe.api.csv_export import CSV_INJECTION_NOTE, csv_attachment
from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from leadvibe.api.pagination import PageParamsSerializer, bare_list_response, page_request_from
from leadvibe.api.query import QueryParameters, validated
from orgunits.api.base import ApiView
from scoring.ingestion.services.events import TIMESTAMP_BOUNDS
from scoring.models import EngagementEvent
from scoring.selectors.events import (
    EXPORT_COLUMNS,
    PROPERTIES_SAMPLE_SIZE,
    TIME_RANGES,
    EventFilters,
    event_channels_list,
    event_items_page,
    event_type_properties,
    event_types_list,
    events_export_rows,
    events_list,
    lead_activity,
    lead_events,
    orders_list,
    time_window,
)
from scoring.services.event_changes import events_delete
from scoring.services.orders import order_create

MAX_DELETE_IDS = 1000
MAX_METADATA_FILTERS = 20
MAX_EVENT_TYPE_FILTERS = 50
# How far back a sync run restarts (both feeds): far longer than a write of events or scores.
SYNC_OVERLAP_TEXT = "5 minutes"
ACTIVITY_DEFAULT_LIMIT = 100
ACTIVITY_MAX_LIMIT = 500
CHANNELS = [choice.value for choice in EngagementEvent.Channel]
STRING_LIST = {"type": "array", "items": {"type": "string"}}


def sync_cursor_check(attrs: dict, *, bound: str, item: str) -> None:
    """A sync feed's cursor (`after_id`) is a place after its timestamp (`bound`): alone, 400."""
    if "after_id" in attrs and bound not in attrs:
        raise serializers.ValidationError({"after_id": [f"Requires {bound} ({item})."]})


# --- Serializers ----------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "minLength": 2, "maxLength": 500, "pattern": r"^[^:\x00]+:[^\x00]*$"}
)
class MetadataFilterField(StrictCharField):
    """`key:value`, split at the first colon; parsed to a `(key, value)` pair."""

    default_error_messages = {"format": 'Must be "key:value": a metadata key, a colon, a value.'}

    def __init__(self, **kwargs):
        super().__init__(max_length=500, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        key, colon, value = super().to_internal_value(data).partition(":")
        if not colon or not key:
            self.fail("format")
        return key, value


@extend_schema_field({"type": "string", "pattern": rf"^{EngagementEvent.ID_PREFIX}[0-9]{{1,18}}$"})
class EventIdField(StrictCharField):
    """`ev_<n>`, parsed to n (at most 18 digits, so it fits the bigint column)."""

    default_error_messages = {"format": "Must be an event id such as ev_123."}
    PATTERN = re.compile(rf"{EngagementEvent.ID_PREFIX}([0-9]{{1,18}})")

    def to_internal_value(self, data):
        match = self.PATTERN.fullmatch(super().to_internal_value(data))
        if match is None:
            self.fail("format")
        return int(match.group(1))


class EventFilterQuery(QueryParameters):
    metadata = serializers.ListField(
        child=MetadataFilterField(),
        required=False,
        max_length=MAX_METADATA_FILTERS,
        help_text=(
            "Repeatable `key:value` filter on top-level metadata keys (split at the first "
            "colon), e.g. `metadata=utm_campaign:fall2025`. The value matches the string and, "
            "when it spells a JSON number or `true`/`false`, that number or boolean too "
            '(`count:3` finds both `"3"` and `3`). Without a colon: 400.'
        ),
    )
    logic = serializers.ChoiceField(
        choices=["and", "or"], default="and", help_text="Combine metadata filters"
    )
    lead_id = StrictCharField(
        max_length=200, required=False, help_text="Only this lead's events (none if unknown)"
    )
    event_type = serializers.ListField(
        child=StrictCharField(max_length=100),
        required=False,
        max_length=MAX_EVENT_TYPE_FILTERS,
        help_text="Repeatable: only events of these types (`event_type=a&event_type=b`)",
    )
    channel = serializers.ChoiceField(choices=CHANNELS, required=False, help_text="Only this one")
    occurred_since = RFC3339DateTimeField(
        required=False, help_text="Only events that happened at or after this (`timestamp`)"
    )
    received_since = RFC3339DateTimeField(
        required=False,
        help_text="Incremental sync: only events received at or after this (`received_at`), "
        "oldest arrival first. See the operation's description.",
    )
    after_id = EventIdField(
        required=False,
        help_text="With `received_since` (the `received_at` of this event): only the events "
        "received after this one. Resumes a sync where its last page ended.",
    )

    def validate(self, attrs):
        sync_cursor_check(attrs, bound="received_since", item="the received_at of that event")
        return attrs


class EngagementEventOutput(serializers.Serializer):
    id = StrictCharField(source="public_id", help_text="`ev_<n>`")
    lead_id = StrictCharField(source="lead.lead_id")
    event_type = StrictCharField()
    timestamp = RFC3339DateTimeField(source="occurred_at", help_text="When it happened")
    received_at = RFC3339DateTimeField()
    channel = StrictCharField(help_text=f"One of: {', '.join(CHANNELS)}")
    source = StrictCharField(help_text="api, csv, seed or system")
    metadata = serializers.DictField(
        source="public_metadata",
        help_text="As sent; a system DECAY event's holds `decay_id` (`dc_<n>`, the decay rule) "
        "and `decrease`",
    )
    status = StrictCharField(help_text="pending (not scored yet) or processed")
    suppression_reason = StrictCharField(
        allow_null=True,
        help_text="Why scoring ignored the event: metadata_filter, inorganic, "
        "inorganic_grouped or hidden_type; null when it counted (or is pending)",
    )
    score_delta = serializers.IntegerField(
        allow_null=True,
        help_text="What the event did to the lead's score in the primary ruleset (its rules' "
        "points, a burst compensation, a decay; 0 when nothing); null while pending",
    )


class OrderOutput(serializers.Serializer):
    order_id = StrictCharField()
    lead_id = StrictCharField(source="lead.lead_id")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = StrictCharField(help_text="ISO 4217 code, upper case")
    items = serializers.ListField(child=serializers.DictField())
    timestamp = RFC3339DateTimeField(source="occurred_at")
    created_at = RFC3339DateTimeField()


def _event_filters(query_params) -> EventFilters:
    params = validated(EventFilterQuery, query_params)
    return EventFilters(
        metadata=params.get("metadata", []),
        logic=params["logic"],
        lead_id=params.get("lead_id"),
        event_types=params.get("event_type", []),
        channel=params.get("channel"),
        occurred_since=params.get("occurred_since"),
        received_since=params.get("received_since"),
        after_seq=params.get("after_id"),
    )


# --- GET /events (served by event_views.EventsView, which shares the path with ingestion) ---

events_list_schema = extend_schema(
    parameters=[PageParamsSerializer, EventFilterQuery],
    responses=EngagementEventOutput(many=True),
    summary="List engagement events (OU-scoped): the activity feed and the sync feed",
    description=(
        "Newest first (`timestamp`, then arrival); the total is in `X-Total-Count`. Filters "
        "combine (all must hold): `lead_id`, `event_type` (repeatable: any of them), "
        "`channel`, `occurred_since`, `metadata`.\n\n"
        "**Incremental sync.** With `received_since` the list is ordered by arrival, oldest "
        "first (`received_at`, then `id`), from `received_since` included. Read pages with "
        "`received_since` = the `received_at` of the last event you read and `after_id` = its "
        "`id`, until a page is shorter than `limit` (do not page with `page`: deletions "
        "would shift it). Keep where you stopped; the next run starts "
        f"{SYNC_OVERLAP_TEXT} earlier (`received_since` only, without `after_id`) and skips "
        "ids it already has: an event is stamped `received_at` when its write begins and "
        "shows once that write commits, which is within that overlap. `status` is `pending` "
        "until the event is scored; its `score_delta` and `suppression_reason` are set then "
        "(read pending ones again by `lead_id`, or follow scores with "
        "`GET /leads?updated_since=`). Deleted events are not reported."
    ),
)


def events_list_response(request) -> Response:
    page = page_request_from(request.query_params)
    events = events_list(ou=request.ou, filters=_event_filters(request.query_params))
    items = EngagementEventOutput(
        event_items_page(ou=request.ou, events=events, offset=page.offset, limit=page.limit),
        many=True,
    ).data
    return bare_list_response(items, total=events.count())


# --- Other event routes ---------------------------------------------------------------------


class EventsDeleteView(ApiView):
    class EventsDeleteInput(serializers.Serializer):
        ids = serializers.ListField(
            child=EventIdField(), min_length=1, max_length=MAX_DELETE_IDS, help_text="ev_ ids"
        )

    @extend_schema(
        request=EventsDeleteInput,
        responses=inline_serializer("EventsDeleted", {"deleted": serializers.IntegerField()}),
        summary="Batch delete events (OU-scoped)",
        description="1 to 1,000 ids. Ids of events not in the active OU are skipped and not "
        "counted.",
    )
    def post(self, request):
        data = validated(self.EventsDeleteInput, request.data)
        deleted = events_delete(ou=request.ou, seqs=data["ids"])
        return Response({"deleted": deleted})


class EventTypesView(ApiView):
    @extend_schema(
        responses={200: STRING_LIST},
        summary="List event types (OU-scoped)",
        description="Distinct event types of the OU's events, sorted. Types hidden in "
        "`/settings/event-types` are left out.",
    )
    def get(self, request):
        return Response(event_types_list(ou=request.ou))


class EventTypePropertiesView(ApiView):
    @extend_schema(
        responses=inline_serializer(
            "EventTypeProperties",
            {
                "event_type": StrictCharField(),
                "properties": serializers.ListField(child=StrictCharField()),
            },
        ),
        summary="Distinct metadata keys of an event type (OU-scoped)",
        description=(
            f"Top-level metadata keys, sorted, found in the type's latest "
            f"{PROPERTIES_SAMPLE_SIZE:,} events (a bounded sample, so keys seen only in older "
            "events may be missing). 404 when the OU has no event of this type."
        ),
    )
    def get(self, request, event_type):
        properties = event_type_properties(ou=request.ou, event_type=event_type)
        return Response({"event_type": event_type, "properties": properties})


class EventChannelsView(ApiView):
    @extend_schema(
        responses={200: STRING_LIST},
        summary="List channels seen in the OU's events",
        description=f"Normalized channels, sorted; a subset of: {', '.join(CHANNELS)}.",
    )
    def get(self, request):
        return Response(event_channels_list(ou=request.ou))


class EventsExportView(ApiView):
    @extend_schema(
        parameters=[EventFilterQuery],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV")},
        summary="Export events as CSV (OU-scoped), streamed",
        description=(
            "All events matching the filters, newest first, as an attachment. Header `"
            + ",".join(EXPORT_COLUMNS)
            + f"`; metadata as compact JSON. {CSV_INJECTION_NOTE} A bad filter is a JSON 400 "
            "before any CSV is sent."
        ),
    )
    def get(self, request):
        # Filters are validated before the first byte, so a bad one is still a JSON 400.
        rows = events_export_rows(ou=request.ou, filters=_event_filters(request.query_params))
        return csv_attachment(EXPORT_COLUMNS, rows, name="events")


# --- One lead -------------------------------------------------------------------------------


class LeadEventsView(ApiView):
    @extend_schema(
        parameters=[PageParamsSerializer],
        responses=EngagementEventOutput(many=True),
        summary="List a lead's events (OU-scoped)",
        description="Newest first; the total is in `X-Total-Count`.",
    )
    def get(self, request, lead_id):
        page = page_request_from(request.query_params)
        events = lead_events(ou=request.ou, lead_id=lead_id)
        items = EngagementEventOutput(
            event_items_page(ou=request.ou, events=events, offset=page.offset, limit=page.limit),
            many=True,
        ).data
        return bare_list_response(items, total=events.count())


class ActivityTimelineEvent(EngagementEventOutput):
    type = StrictCharField(help_text='"event"')


class ActivityTimelineOrder(OrderOutput):
    type = StrictCharField(help_text='"order"')


class LeadActivityView(ApiView):
    class LeadActivityQuery(QueryParameters):
        range = serializers.ChoiceField(
            choices=TIME_RANGES,
            default="last_7d",
            help_text="Applies to events and orders; UTC days for today and yesterday",
        )
        start = RFC3339DateTimeField(required=False, help_text="Required with range=custom")
        end = RFC3339DateTimeField(required=False, help_text="Required with range=custom; included")
        channel = serializers.ChoiceField(
            choices=["all", *CHANNELS], default="all", help_text="Events only"
        )
        minScore = serializers.IntegerField(
            min_value=0,
            max_value=10**9,
            required=False,
            help_text="Events only: the event's points in the primary ruleset (0 without any) "
            "are at least this",
        )
        maxLatency = serializers.IntegerField(
            min_value=1,
            max_value=10**15,
            required=False,
            help_text="Events only: at most this many ms between timestamp and received_at",
        )
        hasDelta = serializers.ChoiceField(
            choices=["1", "true", "0", "false"],
            required=False,
            help_text="Events only: `1`/`true` only events whose points in the primary "
            "ruleset are not 0; `0`/`false` only those whose are",
        )
        limit = serializers.IntegerField(
            min_value=1,
            max_value=ACTIVITY_MAX_LIMIT,
            default=ACTIVITY_DEFAULT_LIMIT,
            help_text="At most this many events, orders and timeline items (each)",
        )

        def validate(self, attrs):
            if attrs["range"] == "custom":
                missing = {
                    name: ["Required when range is custom."]
                    for name in ("start", "end")
                    if name not in attrs
                }
                if missing:
                    raise serializers.ValidationError(missing)
                if attrs["start"] > attrs["end"]:
                    raise serializers.ValidationError({"end": ["Must not be before start."]})
            return attrs

    @extend_schema(
        parameters=[LeadActivityQuery],
        responses=inline_serializer(
            "LeadActivity",
            {
                "events": EngagementEventOutput(many=True),
                "orders": OrderOutput(many=True),
                "timeline": PolymorphicProxySerializer(
                    component_name="ActivityTimelineItem",
                    serializers={"event": ActivityTimelineEvent, "order": ActivityTimelineOrder},
                    resource_type_field_name="type",
                    many=True,
                ),
            },
        ),
        summary="Unified activity stream of a lead: events, orders and a timeline",
        description=(
            "Events and orders newest first; `timeline` merges both by time, newest first, "
            "each item with `type` `event` or `order`. range/start/end filter both; channel, "
            "maxLatency, minScore and hasDelta filter events only (points: the event's score "
            "rows in the primary ruleset). Orders are read-only projections, never "
            "scored."
        ),
    )
    def get(self, request, lead_id):
        params = validated(self.LeadActivityQuery, request.query_params)
        activity = lead_activity(
            ou=request.ou,
            lead_id=lead_id,
            window=time_window(
                params["range"],
                now=timezone.now(),
                start=params.get("start"),
                end=params.get("end"),
            ),
            channel=None if params["channel"] == "all" else params["channel"],
            max_latency_ms=params.get("maxLatency"),
            min_score=params.get("minScore"),
            has_delta=params["hasDelta"] in ("1", "true") if "hasDelta" in params else None,
            limit=params["limit"],
        )
        return Response(
            {
                "events": EngagementEventOutput(activity.events, many=True).data,
                "orders": OrderOutput(activity.orders, many=True).data,
                "timeline": [_timeline_item(row) for row in activity.timeline],
            }
        )


def _timeline_item(row) -> dict:
    if isinstance(row, EngagementEvent):
        return {"type": "event", **EngagementEventOutput(row).data}
    return {"type": "order", **OrderOutput(row).data}


# --- Orders ---------------------------------------------------------------------------------


class OrdersView(ApiView):
    class OrderCreateInput(serializers.Serializer):
        order_id = StrictCharField(max_length=200)
        lead_id = StrictCharField(max_length=200)
        amount = serializers.DecimalField(
            max_digits=14, decimal_places=2, min_value=Decimal(0), help_text=">= 0, 2 decimals"
        )
        currency = serializers.RegexField(
            r"^[A-Za-z]{3}$", help_text="ISO 4217 code (3 letters); stored upper-cased"
        )
        items = serializers.ListField(
            child=serializers.DictField(), max_length=1000, default=list, help_text="Objects"
        )
        timestamp = RFC3339DateTimeField(
            required=False,
            help_text="From 1970-01-01T00:00:00Z to 5 minutes after now; defaults to now",
            error_messages={"out_of_range": TIMESTAMP_BOUNDS},
        )

    class OrdersQuery(QueryParameters):
        lead_id = StrictCharField(
            max_length=200, required=False, help_text="Only this lead's orders"
        )

    @extend_schema(
        parameters=[PageParamsSerializer, OrdersQuery],
        responses=OrderOutput(many=True),
        summary="List orders (OU-scoped)",
        description="Newest first; the total is in `X-Total-Count`.",
    )
    def get(self, request):
        page = page_request_from(request.query_params)
        query = validated(self.OrdersQuery, request.query_params)
        orders = orders_list(ou=request.ou, lead_id=query.get("lead_id"))
        items = OrderOutput(page.slice(orders), many=True).data
        return bare_list_response(items, total=orders.count())

    @extend_schema(
        request=OrderCreateInput,
        responses={201: OrderOutput},
        summary="Record an order of a lead",
        description="404 when the lead is not in the OU; 409 when the order id is taken in "
        "the OU. Orders show in the lead's activity and are never scored.",
    )
    def post(self, request):
        params = dict(validated(self.OrderCreateInput, request.data))
        order = order_create(ou=request.ou, occurred_at=params.pop("timestamp", None), **params)
        return Response(OrderOutput(order).data, status=status.HTTP_201_CREATED)
