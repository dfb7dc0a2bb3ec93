"""Analytics routes: `/analytics`, `/analytics/stats`, `/analytics/top-leads` and
`/analytics/recent-gains`. Hidden event types and system events (DECAY) are left out; scores
are the primary ruleset's."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from leadvibe.api.query import QueryParameters, validated
from orgunits.api.base import ApiView
from scoring.selectors.analytics import (
    TOP_EVENT_TYPES,
    analytics_overview,
    analytics_stats,
    recent_gains,
    top_leads,
)
from scoring.selectors.events import time_window

ANALYTICS_RANGES = ["all", "today", "yesterday", "last_24h", "last_7d", "last_30d", "last_90d"]
MAX_RANKED = 100
MAX_GAIN_HOURS = 24 * 366


class TotalsOutput(serializers.Serializer):
    events = serializers.IntegerField()
    leads = serializers.IntegerField(help_text="Distinct leads with events")
    event_types = serializers.IntegerField(help_text="Distinct visible event types")
    suppressed_events = serializers.IntegerField(
        help_text="Events kept for audit but not scored (a filter or a hidden type)"
    )
    points = serializers.IntegerField(help_text="Net points of the primary ruleset's rules")


class AnalyticsOutput(serializers.Serializer):
    totals = TotalsOutput()
    by_type = serializers.DictField(
        child=serializers.IntegerField(), help_text="Events per type, most frequent first"
    )


class AnalyticsView(ApiView):
    class AnalyticsQuery(QueryParameters):
        range = serializers.ChoiceField(
            choices=ANALYTICS_RANGES, default="all", help_text="Named range on occurred_at"
        )

    @extend_schema(
        parameters=[AnalyticsQuery],
        responses=AnalyticsOutput,
        summary="Analytics across events (OU-scoped)",
        description=(
            "Totals and events by type within `range` (default all). Hidden event types and "
            "system events (DECAY) are left out."
        ),
    )
    def get(self, request):
        query = validated(self.AnalyticsQuery, request.query_params)
        window = time_window(query["range"], now=timezone.now())
        return Response(AnalyticsOutput(analytics_overview(ou=request.ou, window=window)).data)


class Last24hOutput(serializers.Serializer):
    events = serializers.IntegerField()
    leads = serializers.IntegerField(help_text="Distinct leads with events")
    new_leads = serializers.IntegerField(help_text="Leads created")
    points = serializers.IntegerField(help_text="Net points of the primary ruleset's rules")


class TopEventOutput(serializers.Serializer):
    event_type = StrictCharField()
    count = serializers.IntegerField()
    leads = serializers.IntegerField(help_text="Distinct leads with events of the type")


class AnalyticsStatsOutput(serializers.Serializer):
    last_24h = Last24hOutput()
    top_events = TopEventOutput(many=True)


class AnalyticsStatsView(ApiView):
    @extend_schema(
        responses=AnalyticsStatsOutput,
        summary="Event statistics of the last 24 hours (OU-scoped)",
        description=(
            f"`last_24h`: events, active leads, new leads and points; `top_events`: the "
            f"{TOP_EVENT_TYPES} most frequent event types of the last 24 hours. Hidden event "
            "types and system events are left out."
        ),
    )
    def get(self, request):
        stats = analytics_stats(ou=request.ou, now=timezone.now())
        return Response(AnalyticsStatsOutput(stats).data)


class RankedLeadOutput(serializers.Serializer):
    lead_id = StrictCharField()
    score = serializers.IntegerField()
    engagement_level = StrictCharField(allow_null=True)
    last_event_type = StrictCharField(allow_null=True)
    last_active_at = RFC3339DateTimeField(allow_null=True)


class TopLeadsView(ApiView):
    class TopLeadsQuery(QueryParameters):
        limit = serializers.IntegerField(min_value=1, max_value=MAX_RANKED, default=10)

    @extend_schema(
        parameters=[TopLeadsQuery],
        responses=RankedLeadOutput(many=True),
        summary="Top leads by primary score (OU-scoped)",
        description=(
            "The `limit` (default 10) leads with the highest primary scores, highest first "
            "(ties: the lead created first), with their engagement level and last activity. "
            "Empty when the OU has no primary ruleset."
        ),
    )
    def get(self, request):
        query = validated(self.TopLeadsQuery, request.query_params)
        leads = top_leads(ou=request.ou, limit=query["limit"])
        return Response(RankedLeadOutput(leads, many=True).data)


class RecentGainsView(ApiView):
    class RecentGainsQuery(QueryParameters):
        hours = serializers.IntegerField(min_value=1, max_value=MAX_GAIN_HOURS, default=24)
        limit = serializers.IntegerField(min_value=1, max_value=MAX_RANKED, default=10)

    class GainOutput(serializers.Serializer):
        lead_id = StrictCharField()
        gain = serializers.IntegerField(help_text="Net points gained in the window")
        events = serializers.IntegerField(help_text="Events that scored in the window")
        score = serializers.IntegerField(help_text="Current primary score")
        engagement_level = StrictCharField(allow_null=True)

    @extend_schema(
        parameters=[RecentGainsQuery],
        responses=GainOutput(many=True),
        summary="Recent score gains (OU-scoped)",
        description=(
            "The `limit` (default 10) leads whose primary score rose most in the last `hours` "
            "hours (default 24): the net of rule points, compensations and decay there, "
            "positive only, largest first. Events of hidden types are left out."
        ),
    )
    def get(self, request):
        query = validated(self.RecentGainsQuery, request.query_params)
        gains = recent_gains(ou=request.ou, now=timezone.now(), **query)
        return Response(self.GainOutput(gains, many=True).data)
