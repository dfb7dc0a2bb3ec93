"""Score reads: `GET /leads/{id}/score`, `POST /leads/scores`, `GET /leads/{id}/explain` and
`GET /events/{id}/explain` (architecture.md §4, §7)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictBooleanField, StrictCharField
from leadvibe.api.query import QueryParameters, validated
from orgunits.api.base import ApiView
from scoring.selectors.scores import (
    PRIMARY,
    event_explain,
    lead_explain,
    lead_score_get,
    lead_scores_batch,
)

MAX_BATCH_LEAD_IDS = 500
MAX_EXPLAIN_HOURS = 24 * 366 * 5
RULESET_REFERENCE = "A ruleset id (`rs_12`) or name"


class LeadScoreOutput(serializers.Serializer):
    lead_id = StrictCharField()
    score = serializers.IntegerField()
    ruleset_id = StrictCharField(
        allow_null=True,
        help_text="The ruleset the score is from; null when the lead has no score (then 0)",
    )
    engagement_level = StrictCharField(
        allow_null=True, help_text="The engagement level containing the primary score"
    )


class LeadScoreView(ApiView):
    class LeadScoreQuery(QueryParameters):
        ruleset_id = StrictCharField(
            required=False, max_length=100, help_text=RULESET_REFERENCE + "; 404 when unknown"
        )

    @extend_schema(
        parameters=[LeadScoreQuery],
        responses=LeadScoreOutput,
        summary="Get a lead's score (OU-scoped)",
        description=(
            "Without `ruleset_id`, the highest score across the OU's active rulesets; with "
            "it, that ruleset's score. A lead without a score has 0. 404 for an unknown lead "
            "or ruleset."
        ),
    )
    def get(self, request, lead_id):
        query = validated(self.LeadScoreQuery, request.query_params)
        view = lead_score_get(ou=request.ou, lead_id=lead_id, ruleset_id=query.get("ruleset_id"))
        return Response(LeadScoreOutput(view).data)


class LeadScoresBatchView(ApiView):
    class LeadScoresInput(serializers.Serializer):
        lead_ids = serializers.ListField(
            child=StrictCharField(max_length=200),
            min_length=1,
            max_length=MAX_BATCH_LEAD_IDS,
        )
        ruleset = StrictCharField(
            max_length=100,
            default=PRIMARY,
            help_text="`primary` (default), a ruleset id (`rs_12`) or a ruleset name",
        )

    class BatchScoreOutput(serializers.Serializer):
        lead_id = StrictCharField()
        found = StrictBooleanField(help_text="false: no visible lead of the active OU has this id")
        score = serializers.IntegerField(
            allow_null=True, help_text="0 for a lead without a score; null when not found"
        )
        engagement_level = StrictCharField(
            allow_null=True,
            help_text="For scores of the primary ruleset: the level containing the score",
        )

    @extend_schema(
        request=LeadScoresInput,
        responses=BatchScoreOutput(many=True),
        summary="Batch lead scores (OU-scoped, primary ruleset by default)",
        description=(
            "One item per distinct lead id, in the order given. `ruleset` `primary` (the "
            "default) uses the OU's primary ruleset; when the OU has none every score is 0. "
            "Ids that name no visible, unmerged lead of the active OU are reported with "
            "`found: false` and a null score. The ruleset used is in `X-Ruleset-ID` (absent "
            "when the OU has no primary ruleset). 404 for an unknown ruleset."
        ),
    )
    def post(self, request):
        data = validated(self.LeadScoresInput, request.data)
        batch = lead_scores_batch(
            ou=request.ou,
            lead_ids=data["lead_ids"],
            ruleset=data["ruleset"],
        )
        headers = {"X-Ruleset-ID": batch.ruleset_id} if batch.ruleset_id else None
        return Response(self.BatchScoreOutput(batch.scores, many=True).data, headers=headers)


# --- Explanations ---------------------------------------------------------------------------


class DriverOutput(serializers.Serializer):
    event_type = StrictCharField()
    points = serializers.IntegerField(help_text="Points its events scored in the window")
    events = serializers.IntegerField(help_text="Scored events of the type in the window")


class RuleWeightOutput(serializers.Serializer):
    rule_id = StrictCharField()
    event_type = StrictCharField()
    weight = serializers.IntegerField()
    active = StrictBooleanField()
    start_at = RFC3339DateTimeField(allow_null=True)
    end_at = RFC3339DateTimeField(allow_null=True)


class SurgeBoostOutput(serializers.Serializer):
    event_id = StrictCharField()
    event_type = StrictCharField()
    occurred_at = RFC3339DateTimeField()
    weight = serializers.IntegerField(help_text="Sum of the weights of the rules that matched")
    multiplier = serializers.DecimalField(max_digits=4, decimal_places=2, coerce_to_string=False)
    delta = serializers.IntegerField(help_text="Points applied (after the floor)")
    boost = serializers.IntegerField(help_text="round_half_up(weight x multiplier) - weight")


class LeadExplainOutput(serializers.Serializer):
    lead_id = StrictCharField()
    ruleset_id = StrictCharField(
        allow_null=True, help_text="The ruleset explained; null when the OU has none"
    )
    score = serializers.IntegerField(help_text="The lead's current score in the ruleset")
    top_drivers = DriverOutput(many=True)
    snapshot = RuleWeightOutput(many=True)
    surge_boost = SurgeBoostOutput(many=True)
    surge_total = serializers.IntegerField()
    surge_event_count = serializers.IntegerField()
    decay_applied = serializers.IntegerField()
    compensation_applied = serializers.IntegerField()
    inorganic_count = serializers.IntegerField()
    points_in_range = serializers.IntegerField()
    range_hours = serializers.IntegerField()
    since = RFC3339DateTimeField()


class LeadExplainView(ApiView):
    class LeadExplainQuery(QueryParameters):
        hours = serializers.IntegerField(
            min_value=1, max_value=MAX_EXPLAIN_HOURS, default=24, help_text="Time window"
        )
        ruleset_id = StrictCharField(
            required=False, max_length=100, help_text=RULESET_REFERENCE + "; default primary"
        )

    @extend_schema(
        parameters=[LeadExplainQuery],
        responses=LeadExplainOutput,
        summary="Explain a lead's score (OU-scoped)",
        description=(
            "Over the last `hours` hours (default 24) of the primary ruleset (or `ruleset_id`): "
            "`top_drivers`, the event types whose events scored most (points, events; at most "
            "10); `snapshot`, the ruleset's rules with their current weights; `surge_boost`, "
            "the events a surge multiplier boosted (newest first, at most 50), with "
            "`surge_total` (sum of the boosts) and `surge_event_count`; `decay_applied`, points "
            "taken by decay; `compensation_applied`, points taken back from grouped bursts; "
            "`inorganic_count`, the lead's events suppressed by inorganic filters; "
            "`points_in_range`, the net change in the window."
        ),
    )
    def get(self, request, lead_id):
        params = validated(self.LeadExplainQuery, request.query_params)
        explanation = lead_explain(
            ou=request.ou,
            lead_id=lead_id,
            hours=params["hours"],
            now=timezone.now(),
            ruleset_id=params.get("ruleset_id"),
        )
        return Response(LeadExplainOutput(explanation).data)


class EventRulesetScoreOutput(serializers.Serializer):
    ruleset_id = StrictCharField()
    ruleset_name = StrictCharField()
    kind = StrictCharField(
        help_text="`rule`: the event's points; `compensation`: points of a grouped burst taken "
        "back; `decay`: a DECAY event's decrease"
    )
    rule_ids = serializers.ListField(child=StrictCharField(), help_text="Rules that matched")
    weight = serializers.IntegerField(help_text="Sum of the matched rules' weights")
    multiplier = serializers.DecimalField(max_digits=4, decimal_places=2, coerce_to_string=False)
    delta = serializers.IntegerField(help_text="Points applied (after the floor)")
    before = serializers.IntegerField()
    after = serializers.IntegerField()


class EventExplainOutput(serializers.Serializer):
    event_id = StrictCharField(source="event.public_id")
    lead_id = StrictCharField(source="event.lead.lead_id")
    event_type = StrictCharField(source="event.event_type")
    occurred_at = RFC3339DateTimeField(source="event.occurred_at")
    status = StrictCharField(source="event.status", help_text="pending or processed")
    suppression_reason = StrictCharField(
        source="event.suppression_reason",
        allow_null=True,
        help_text="null (scored normally), metadata_filter, inorganic, inorganic_grouped or "
        "hidden_type",
    )
    rulesets = EventRulesetScoreOutput(many=True)


class EventExplainView(ApiView):
    @extend_schema(
        responses=EventExplainOutput,
        summary="Explain one event's score (OU-scoped)",
        description=(
            "Per ruleset: the rules that matched, their weight, the surge multiplier, the "
            "delta applied and the score before and after; and the event's suppression "
            "reason. A suppressed or pending event has no ruleset rows. 404 for an event of "
            "another OU or an id that names none."
        ),
    )
    def get(self, request, event_id):
        return Response(EventExplainOutput(event_explain(ou=request.ou, event_id=event_id)).data)
