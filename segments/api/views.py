"""Segment routes (api-routes.md "Segments"): segments and their rules as configuration
resources, and the reads of a segment's stored membership, its entry and exit events, its
recompute job, a preview of unsaved rules, and a lead's segments.

Views parse, call one selector or service, render; rule validation and the ABM check live in
segments.services.config, membership in segments.services.membership.
"""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from leadvibe.api.config_resource import ConfigObjectOutput
from leadvibe.api.csv_export import CSV_INJECTION_NOTE, csv_attachment
from leadvibe.api.fields import RFC3339DateTimeField, StrictBooleanField, StrictCharField
from leadvibe.api.pagination import (
    MAX_LIMIT,
    PageParamsSerializer,
    bare_list_response,
    page_request_from,
)
from leadvibe.api.query import QueryParameters, validated
from leadvibe.jobs import job_progress_share
from orgunits.api.base import ApiView
from scoring.api.config_fields import PublicKeyField, WholeNumberField
from segments import rules
from segments.models import Segment, SegmentMembershipEvent
from segments.selectors import (
    lead_segments,
    segment_count,
    segment_events,
    segment_members_export,
    segment_members_page,
    segment_preview,
    segment_recompute_latest,
)
from segments.services.config import rules_validate

MAX_PREVIEW_RULES = 50
MAX_LOGIC_GROUP = 1000
MAX_ORDER_INDEX = 1_000_000
RULES_TEXT = (
    "A segment's active rules are grouped by `logic_group`; within a group all rules share "
    "one `logic_op` (AND: every rule holds, OR: one does); a lead is a member when every "
    "group holds. Rule types: " + ", ".join(rules.RULE_TYPES) + "; `account_metadata` and "
    "`account_level` need ABM (403 otherwise). Level rules take equals/not_equals and a level "
    "name that exists; `engagement_score` takes a number. 400 names the wrong field."
)


class SegmentOutput(ConfigObjectOutput):
    segment_id = StrictCharField(source="public_id", help_text="`sg_<n>`")
    name = StrictCharField()
    description = StrictCharField()
    active = StrictBooleanField()
    lead_count = serializers.IntegerField(help_text="Current members (the membership table)")
    recomputing = StrictBooleanField(
        help_text="A recompute job is unfinished: counts are the membership as it stands"
    )


class SegmentInput(serializers.Serializer[Any]):
    name = StrictCharField(max_length=200)
    description = StrictCharField(max_length=2000, allow_blank=True, default="")
    active = StrictBooleanField(
        default=True, help_text="Inactive segments keep no members; activating recomputes"
    )


class SegmentRuleOutput(ConfigObjectOutput):
    rule_id = StrictCharField(source="public_id", help_text="`sgr_<n>`")
    segment_id = PublicKeyField(Segment.ID_PREFIX)
    rule_name = StrictCharField()
    rule_type = StrictCharField()
    field_name = StrictCharField()  # type: ignore[assignment]  # the spec's name, not Field's
    operator = StrictCharField()
    value = StrictCharField()
    event_type = StrictCharField()
    logic_group = serializers.IntegerField()
    logic_op = StrictCharField()
    order_index = serializers.IntegerField()
    active = StrictBooleanField()


class SegmentRuleCondition(serializers.Serializer[Any]):
    rule_type = serializers.ChoiceField(choices=rules.RULE_TYPES)
    field_name = StrictCharField(  # type: ignore[assignment]  # the spec's name, not Field's
        max_length=200,
        allow_blank=True,
        default="",
        help_text="Metadata key, dotted for nested objects (metadata rules)",
    )
    operator = serializers.ChoiceField(choices=rules.OPERATORS)
    value = StrictCharField(max_length=1000, allow_blank=True, default="")
    event_type = StrictCharField(
        max_length=100, allow_blank=True, default="", help_text="event_metadata only; '': any"
    )
    logic_group = WholeNumberField(min_value=0, max_value=MAX_LOGIC_GROUP, default=0)
    logic_op = serializers.ChoiceField(choices=rules.LOGIC_OPS, default="AND")


class SegmentRuleInput(SegmentRuleCondition):
    rule_name = StrictCharField(max_length=200, allow_blank=True, default="")
    order_index = WholeNumberField(
        min_value=-MAX_ORDER_INDEX, max_value=MAX_ORDER_INDEX, default=0, help_text="Display"
    )
    active = StrictBooleanField(default=True)


class SegmentCountOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    recomputing = StrictBooleanField()


class SegmentMemberOutput(serializers.Serializer[Any]):
    lead_id = StrictCharField()
    score = serializers.IntegerField(help_text="Primary-ruleset score (0 when none)")
    engagement_level = StrictCharField(allow_null=True)
    profile_level = StrictCharField(allow_null=True)
    entered_at = RFC3339DateTimeField()


class MembershipEventOutput(serializers.Serializer[Any]):
    event_id = serializers.IntegerField(source="id")
    type = StrictCharField(source="kind", help_text="segment_entered | segment_exited")
    lead_id = StrictCharField()
    cause = StrictCharField(
        help_text="event, decay, metadata, merge, deleted, rules_changed, activated"
    )
    at = RFC3339DateTimeField()


class SegmentEventParams(QueryParameters, PageParamsSerializer):
    start = RFC3339DateTimeField(required=False)
    end = RFC3339DateTimeField(required=False)
    type = serializers.ChoiceField(choices=SegmentMembershipEvent.Kind.values, required=False)


class SegmentRecomputeOutput(serializers.Serializer[Any]):
    job_id = StrictCharField(source="public_id")
    cause = StrictCharField()
    status = StrictCharField()
    leads_total = serializers.IntegerField(source="progress_total", allow_null=True)
    leads_done = serializers.IntegerField(source="progress_done")
    progress = serializers.SerializerMethodField(help_text="Share of the leads done, 0..1")
    entered = serializers.IntegerField()
    exited = serializers.IntegerField()
    error = StrictCharField()
    created_at = RFC3339DateTimeField()
    started_at = RFC3339DateTimeField(allow_null=True)
    finished_at = RFC3339DateTimeField(allow_null=True)

    def get_progress(self, job: Any) -> float:
        return job_progress_share(job)


class SegmentPreviewInput(serializers.Serializer[Any]):
    rules = serializers.ListField(
        child=SegmentRuleCondition(), min_length=1, max_length=MAX_PREVIEW_RULES
    )


class SegmentPreviewLeadOutput(serializers.Serializer[Any]):
    lead_id = StrictCharField()
    metadata = serializers.DictField()


class SegmentPreviewOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    sample = SegmentPreviewLeadOutput(many=True)


class LeadSegmentOutput(serializers.Serializer[Any]):
    segment_id = StrictCharField(source="segment.public_id")
    name = StrictCharField(source="segment.name")
    entered_at = RFC3339DateTimeField()


# --- Reads ------------------------------------------------------------------------------------


class SegmentCountView(ApiView):
    @extend_schema(
        responses=SegmentCountOutput,
        summary="Count leads in a segment (OU-scoped)",
        description="From the stored membership (0 for an inactive segment).",
    )
    def get(self, request: Request, segment_id: str) -> Response:
        count = segment_count(ou=request.ou, segment_id=segment_id)  # type: ignore[attr-defined]
        return Response(SegmentCountOutput(count).data)


class SegmentLeadsView(ApiView):
    @extend_schema(
        parameters=[PageParamsSerializer],
        responses=SegmentMemberOutput(many=True),
        summary="List leads in a segment (OU-scoped)",
        description=(
            f"Members by primary score, highest first; `limit` 1..{MAX_LIMIT}. The total is in "
            "`X-Total-Count`; `X-Segment-Recomputing: true` while a recompute runs."
        ),
    )
    def get(self, request: Request, segment_id: str) -> Response:
        page = page_request_from(request.query_params)
        members = segment_members_page(
            ou=request.ou,  # type: ignore[attr-defined]
            segment_id=segment_id,
            offset=page.offset,
            limit=page.limit,
        )
        items = SegmentMemberOutput(members.rows, many=True).data
        response = bare_list_response(list(items), total=members.total)
        response["X-Segment-Recomputing"] = "true" if members.recomputing else "false"
        return response


EXPORT_COLUMNS = ("lead_id", "score", "engagement_level", "profile_level", "entered_at")


class SegmentLeadsExportView(ApiView):
    @extend_schema(
        responses={(200, "text/csv"): str},
        summary="Export a segment's leads as CSV (OU-scoped)",
        description=f"Columns: {', '.join(EXPORT_COLUMNS)}; by primary score. {CSV_INJECTION_NOTE}",
    )
    def get(self, request: Request, segment_id: str) -> Any:
        rows = segment_members_export(ou=request.ou, segment_id=segment_id)  # type: ignore[attr-defined]
        return csv_attachment(
            EXPORT_COLUMNS,
            ([getattr(row, column) for column in EXPORT_COLUMNS] for row in rows),
            name="segment",
        )


class SegmentEventsView(ApiView):
    @extend_schema(
        parameters=[SegmentEventParams],
        responses=MembershipEventOutput(many=True),
        summary="A segment's entry and exit events (OU-scoped)",
        description="Newest first, in `[start, end)`; the total is in `X-Total-Count`.",
    )
    def get(self, request: Request, segment_id: str) -> Response:
        params = validated(SegmentEventParams, request.query_params)
        page = page_request_from(request.query_params)
        events = segment_events(
            ou=request.ou,  # type: ignore[attr-defined]
            segment_id=segment_id,
            kind=params.get("type"),
            start=params.get("start"),
            end=params.get("end"),
        )
        items = MembershipEventOutput(
            events[page.offset : page.offset + page.limit], many=True
        ).data
        return bare_list_response(list(items), total=events.count())


class SegmentRecomputeView(ApiView):
    @extend_schema(
        responses=SegmentRecomputeOutput,
        summary="Progress of the segment's latest membership recompute (OU-scoped)",
        description=(
            "Changing the rules of an active segment, or activating it, recomputes its "
            "membership in the background. 404 when it never was."
        ),
    )
    def get(self, request: Request, segment_id: str) -> Response:
        job = segment_recompute_latest(ou=request.ou, segment_id=segment_id)  # type: ignore[attr-defined]
        return Response(SegmentRecomputeOutput(job).data)


class SegmentPreviewView(ApiView):
    @extend_schema(
        request=SegmentPreviewInput,
        responses=SegmentPreviewOutput,
        summary="Preview a segment's rules without saving them (OU-scoped)",
        description=f"`count` of matching leads and a `sample` of up to 20, by score. {RULES_TEXT}",
    )
    def post(self, request: Request) -> Response:
        data = validated(SegmentPreviewInput, request.data)
        specs = [rules.RuleSpec(**rule) for rule in data["rules"]]
        rules_validate(ou=request.ou, rules=specs)  # type: ignore[attr-defined]
        preview = segment_preview(ou=request.ou, rules=specs)  # type: ignore[attr-defined]
        return Response(SegmentPreviewOutput(preview).data)


class LeadSegmentsView(ApiView):
    @extend_schema(
        responses=LeadSegmentOutput(many=True),
        summary="The lead's current segments (OU-scoped)",
        description="Oldest entry first.",
    )
    def get(self, request: Request, lead_id: str) -> Response:
        memberships = lead_segments(ou=request.ou, lead_id=lead_id)  # type: ignore[attr-defined]
        return Response(LeadSegmentOutput(memberships, many=True).data)
