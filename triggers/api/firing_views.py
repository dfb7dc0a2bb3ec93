"""What triggers fired and where it went: emitted milestone, sequence and segment events (lists
and CSV exports), notification deliveries, surge events and the surge metrics of an OU.

Lists are bare arrays, newest first, with the total in `X-Total-Count`. Time filters apply to
the time of the event that fired (`occurred_at`): `start` included, `end` excluded.
"""

import datetime
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.csv_export import CSV_INJECTION_NOTE, csv_attachment
from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from leadvibe.api.pagination import PageParamsSerializer, bare_list_response, page_request_from
from leadvibe.api.query import QueryParameters, validated
from leadvibe.exceptions import NotFoundError
from orgunits.api.base import ApiView
from orgunits.selectors import org_unit_get, ou_access_for
from scoring.api.config_fields import PublicKeyField
from scoring.models import EngagementEvent
from scoring.selectors.events import TimeWindow
from triggers.models import Delivery, Firing, Trigger
from triggers.selectors import (
    DELIVERY_ID_PREFIX,
    FIRING_EXPORT_COLUMNS,
    FIRING_ID_PREFIX,
    MAX_SURGE_BUCKETS,
    deliveries_list,
    firing_items,
    firings_export_rows,
    firings_list,
    surge_bucket_count,
    surge_metrics,
)

SURGE_INTERVALS = {
    "15m": datetime.timedelta(minutes=15),
    "1h": datetime.timedelta(hours=1),
    "1d": datetime.timedelta(days=1),
}
TRIGGER_ID = re.compile(rf"{Trigger.ID_PREFIX}[0-9]{{1,18}}")

# --- Query parameters -----------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": rf"^{Trigger.ID_PREFIX}[0-9]{{1,18}}$"})
class TriggerIdFilterField(StrictCharField):
    default_error_messages = {"format": "Must be a trigger id such as tr_12."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not TRIGGER_ID.fullmatch(value):
            self.fail("format")
        return value


class TimeRangeQuery(QueryParameters):
    start = RFC3339DateTimeField(required=False, help_text="Fired by events from this time on")
    end = RFC3339DateTimeField(
        required=False, help_text="Fired by events before this time; later than `start`"
    )

    def validate(self, attrs):
        if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["Must be later than start."]})
        return attrs


def _window(params: dict) -> TimeWindow:
    return TimeWindow(start=params.get("start"), end=params.get("end"))


# --- Emitted events -------------------------------------------------------------------------


class FiringQuery(TimeRangeQuery):
    lead_id = StrictCharField(
        max_length=200, required=False, help_text="Only this lead's (the client's lead id)"
    )
    trigger_id = TriggerIdFilterField(required=False, help_text="Only this trigger's")


class DeliveryCountsOutput(serializers.Serializer):
    pending = serializers.IntegerField(source="deliveries_pending")
    delivered = serializers.IntegerField(source="deliveries_delivered")
    failed = serializers.IntegerField(source="deliveries_failed")
    disabled = serializers.IntegerField(source="deliveries_disabled")


class FiringOutput(serializers.Serializer):
    id = PublicKeyField(FIRING_ID_PREFIX, help_text=f"`{FIRING_ID_PREFIX}<n>`")
    trigger_id = PublicKeyField(Trigger.ID_PREFIX)
    trigger_name = StrictCharField(source="trigger.name")
    type = StrictCharField(source="kind")
    lead_id = StrictCharField(source="lead.lead_id")
    event_id = PublicKeyField(
        EngagementEvent.ID_PREFIX,
        source="event_seq",
        allow_null=True,
        help_text="The event that fired it; null for a segment trigger (a membership change)",
    )
    event_type = StrictCharField()
    score = serializers.IntegerField(
        allow_null=True, help_text="The lead's primary score after the event"
    )
    channel = StrictCharField(help_text="The event's channel")
    occurred_at = RFC3339DateTimeField(help_text="The event's time")
    created_at = RFC3339DateTimeField(help_text="When it fired")
    deliveries = DeliveryCountsOutput(source="*", help_text="Its deliveries, by status")


def _firings_asked(request, kinds: tuple[str, ...]):
    """The OU's firings of `kinds` that the query's filters select (400 on a bad filter)."""
    params = validated(FiringQuery, request.query_params)
    return firings_list(
        ou=request.ou,
        kinds=kinds,
        lead_id=params.get("lead_id"),
        trigger_id=params.get("trigger_id"),
        window=_window(params),
    )


class FiringsView(ApiView):
    kinds: tuple[str, ...]

    def get(self, request):
        page = page_request_from(request.query_params)
        firings = _firings_asked(request, self.kinds)
        items = FiringOutput(page.slice(firing_items(firings)), many=True).data
        return bare_list_response(items, total=firings.count())


class FiringsExportView(ApiView):
    kinds: tuple[str, ...]
    file_name: str

    def get(self, request):
        # Filters are validated before the first byte, so a bad one is still a JSON 400.
        firings = _firings_asked(request, self.kinds)
        return csv_attachment(
            FIRING_EXPORT_COLUMNS, firings_export_rows(firings), name=self.file_name
        )


def firing_views(kinds: tuple[str, ...], noun: str, name: str, types: str):
    """The list and CSV export views of the firings of `kinds`."""
    listing = extend_schema_view(
        get=extend_schema(
            parameters=[PageParamsSerializer, FiringQuery],
            responses=FiringOutput(many=True),
            summary=f"List emitted {noun} events (OU-scoped)",
            description=f"What the OU's {noun} triggers fired, newest first; `type` is "
            f"{types}. The total is in `X-Total-Count`.",
        )
    )(type(f"{name}EventsView", (FiringsView,), {"kinds": kinds}))
    export = extend_schema_view(
        get=extend_schema(
            parameters=[FiringQuery],
            responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV")},
            summary=f"Export emitted {noun} events as CSV (OU-scoped), streamed",
            description=(
                "The list's rows matching the filters, newest first, as an attachment. Header `"
                + ",".join(FIRING_EXPORT_COLUMNS)
                + f"`. {CSV_INJECTION_NOTE} A bad filter is a JSON 400 before any CSV is sent."
            ),
        )
    )(
        type(
            f"{name}EventsExportView",
            (FiringsExportView,),
            {"kinds": kinds, "file_name": f"{noun}-events"},
        )
    )
    return listing, export


MilestoneEventsView, MilestoneEventsExportView = firing_views(
    (Firing.Kind.MILESTONE, Firing.Kind.MILESTONE_EXITED),
    "milestone",
    "Milestone",
    "`milestone` (the lead reached the threshold) or `milestone_exited` (it dropped back "
    "below; never notified)",
)
SequenceEventsView, SequenceEventsExportView = firing_views(
    (Firing.Kind.SEQUENCE,), "sequence", "Sequence", "`sequence`"
)
SegmentEventsView, SegmentEventsExportView = firing_views(
    (Firing.Kind.SEGMENT_ENTERED, Firing.Kind.SEGMENT_EXITED),
    "segment",
    "SegmentTrigger",
    "`segment_entered` or `segment_exited` (a lead entered or left the trigger's segment; "
    "`event_id` is null, `event_type` repeats `type` and `channel` is empty)",
)


# --- Deliveries -----------------------------------------------------------------------------


class DeliveryQuery(QueryParameters):
    status = serializers.ChoiceField(choices=Delivery.Status.choices, required=False)
    channel = serializers.ChoiceField(choices=Delivery.Channel.choices, required=False)
    trigger_id = TriggerIdFilterField(required=False, help_text="Only this trigger's")


class DeliveryOutput(serializers.Serializer):
    id = PublicKeyField(DELIVERY_ID_PREFIX, help_text=f"`{DELIVERY_ID_PREFIX}<n>`")
    firing_id = PublicKeyField(FIRING_ID_PREFIX, help_text="The emitted event it delivers")
    trigger_id = PublicKeyField(Trigger.ID_PREFIX, source="firing.trigger_id")
    lead_id = StrictCharField(source="firing.lead.lead_id")
    channel = StrictCharField(help_text="webhook, email, slack or teams")
    target = StrictCharField(help_text="URL, email address or Slack channel/user id")
    status = StrictCharField(
        help_text="pending (being sent or retried), delivered, failed (retries exhausted) or "
        "disabled (the receiver answered 410 Gone)"
    )
    attempts = serializers.IntegerField()
    last_error = StrictCharField()
    last_status_code = serializers.IntegerField(allow_null=True)
    next_attempt_at = RFC3339DateTimeField(allow_null=True)
    delivered_at = RFC3339DateTimeField(allow_null=True)
    created_at = RFC3339DateTimeField()


class DeliveriesView(ApiView):
    @extend_schema(
        parameters=[PageParamsSerializer, DeliveryQuery],
        responses=DeliveryOutput(many=True),
        summary="List notification deliveries (OU-scoped)",
        description="Each destination of each firing, newest first, with its status and "
        "retries (immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). The total is "
        "in `X-Total-Count`.",
    )
    def get(self, request):
        page = page_request_from(request.query_params)
        params = validated(DeliveryQuery, request.query_params)
        deliveries = deliveries_list(ou=request.ou, **params)
        items = DeliveryOutput(page.slice(deliveries), many=True).data
        return bare_list_response(items, total=deliveries.count())


# --- Surge events and metrics ---------------------------------------------------------------


class SurgeEventQuery(TimeRangeQuery):
    channel = StrictCharField(
        max_length=10, required=False, help_text="Only surges of events of this channel"
    )


class SurgeEventOutput(serializers.Serializer):
    id = PublicKeyField(FIRING_ID_PREFIX, help_text=f"`{FIRING_ID_PREFIX}<n>`")
    trigger_id = PublicKeyField(Trigger.ID_PREFIX)
    lead_id = StrictCharField(source="lead.lead_id")
    event_type = StrictCharField(help_text="The event that made the surge")
    channel = StrictCharField()
    count = serializers.IntegerField(
        source="payload.count", allow_null=True, help_text="Events within the window"
    )
    window_seconds = serializers.SerializerMethodField(help_text="The window when it fired")
    occurred_at = RFC3339DateTimeField()

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_window_seconds(self, firing: Firing) -> int | None:
        window_us = firing.payload.get("window_us")
        return None if window_us is None else window_us // 1_000_000


class SurgeEventsView(ApiView):
    @extend_schema(
        parameters=[PageParamsSerializer, SurgeEventQuery],
        responses=SurgeEventOutput(many=True),
        summary="List surge events (OU-scoped)",
        description="What the OU's surge triggers fired, newest first. The total is in "
        "`X-Total-Count`.",
    )
    def get(self, request):
        page = page_request_from(request.query_params)
        params = validated(SurgeEventQuery, request.query_params)
        surges = firings_list(
            ou=request.ou,
            kinds=(Firing.Kind.SURGE,),
            channel=params.get("channel"),
            window=_window(params),
        )
        items = SurgeEventOutput(page.slice(firing_items(surges)), many=True).data
        return bare_list_response(items, total=surges.count())


class SurgeMetricsQuery(QueryParameters):
    start = RFC3339DateTimeField(help_text="Start of the range, included (RFC 3339)")
    end = RFC3339DateTimeField(help_text="End of the range, excluded (RFC 3339)")
    interval = serializers.ChoiceField(
        choices=list(SURGE_INTERVALS), default="1h", help_text="Bucket size"
    )
    channel = StrictCharField(
        max_length=10, required=False, help_text="Only surges of events of this channel"
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SURGE_BUCKETS,
        default=MAX_SURGE_BUCKETS,
        help_text="At most this many buckets of the series",
    )
    offset = serializers.IntegerField(
        min_value=0, max_value=MAX_SURGE_BUCKETS, default=0, help_text="Buckets skipped"
    )

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["Must be later than start."]})
        interval = SURGE_INTERVALS[attrs["interval"]]
        if surge_bucket_count(attrs["start"], attrs["end"], interval) > MAX_SURGE_BUCKETS:
            raise serializers.ValidationError(
                {"interval": [f"The range holds more than {MAX_SURGE_BUCKETS} buckets."]}
            )
        return attrs


class SurgeBucketOutput(serializers.Serializer):
    bucket_start = RFC3339DateTimeField()
    surges = serializers.IntegerField()
    leads = serializers.IntegerField(help_text="Distinct leads")


class SurgePeakOutput(serializers.Serializer):
    bucket_start = RFC3339DateTimeField()
    surges = serializers.IntegerField()


class SurgeTotalsOutput(serializers.Serializer):
    surges = serializers.IntegerField()
    leads = serializers.IntegerField(help_text="Distinct leads")
    by_channel = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Surges by channel; with `channel`, that channel's only",
    )


class SurgeMetricsOutput(serializers.Serializer):
    ou_id = StrictCharField()
    start = RFC3339DateTimeField()
    end = RFC3339DateTimeField()
    interval = StrictCharField()
    totals = SurgeTotalsOutput()
    peak = SurgePeakOutput(allow_null=True, help_text="The earliest busiest bucket; null: none")
    channels = serializers.ListField(
        child=StrictCharField(), help_text="Channels with surges in the range, sorted"
    )
    series = SurgeBucketOutput(many=True)
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


class SurgeMetricsView(ApiView):
    jwt_only = True
    needs_ou = False

    @extend_schema(
        parameters=[SurgeMetricsQuery],
        responses=SurgeMetricsOutput,
        summary="Surge metrics summary for an OU",
        description=(
            "Surge events of the OU (404 unless the caller is a member of it, or an org admin) "
            "in `[start, end)`, counted per bucket of `interval` starting at `start` (the last "
            f"one cut at `end`; empty buckets included; at most {MAX_SURGE_BUCKETS}) and in "
            "total. `channel` narrows totals (`by_channel` included), peak and series; "
            "`channels` lists every channel with surges in the range. `limit`/`offset` page "
            "the series only. Members' JWT only (the spec: bearer tokens), like the other "
            "`/org-units/{id}` routes."
        ),
    )
    def get(self, request, unit_id):
        request.ou = self._visible_ou(request, unit_id)
        params = validated(SurgeMetricsQuery, request.query_params)
        metrics = surge_metrics(
            ou=request.ou,
            start=params["start"],
            end=params["end"],
            interval=SURGE_INTERVALS[params["interval"]],
            channel=params.get("channel"),
        )
        offset, limit = params["offset"], params["limit"]
        return Response(
            SurgeMetricsOutput(
                {
                    "ou_id": request.ou.id,
                    "start": params["start"],
                    "end": params["end"],
                    "interval": params["interval"],
                    "totals": metrics,
                    "peak": metrics.peak,
                    "channels": metrics.channels,
                    "series": metrics.series[offset : offset + limit],
                    "limit": limit,
                    "offset": offset,
                }
            ).data
        )

    @staticmethod
    def _visible_ou(request, unit_id: str):
        """The OU named in the path when the caller may see it; not found otherwise, the way
        another tenant's objects are."""
        unit = org_unit_get(org=request.org, unit_id=unit_id)
        access = ou_access_for(member=request.member, unit=unit)
        if access is None:
            raise NotFoundError()
        return access.unit
