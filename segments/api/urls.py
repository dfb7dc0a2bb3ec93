"""Segment routes; `segments/preview` comes before `segments/<segment_id>`, which would take
it as an id."""

from django.urls import path

from leadvibe.api.config_resource import ConfigResource, ResourceDocs, config_resource_urls
from orgunits.api.base import ApiView
from segments.api import views
from segments.selectors import segment_rules_list, segments_list
from segments.services import config

SEGMENTS = ConfigResource(
    name="Segment",
    base=ApiView,
    input=views.SegmentInput,
    output=views.SegmentOutput,
    selector=segments_list,
    create=config.segment_create,
    update=config.segment_update,
    delete=config.segment_delete,
    docs=ResourceDocs(
        noun="segment",
        about=(
            "A segment is a rule-built list of leads whose membership is kept as leads change "
            "(`lead_count`). Deactivating drops its members; activating recomputes them."
        ),
        on_list="Oldest first, each with its current `lead_count`.",
    ),
)

SEGMENT_RULES = ConfigResource(
    name="SegmentRule",
    base=ApiView,
    input=views.SegmentRuleInput,
    output=views.SegmentRuleOutput,
    selector=segment_rules_list,
    create=config.segment_rule_create,
    update=config.segment_rule_update,
    delete=config.segment_rule_delete,
    docs=ResourceDocs(
        noun="segment rule",
        about=views.RULES_TEXT,
        note="Changing the rules of an active segment recomputes its membership in the "
        "background (progress: GET /segments/{id}/recompute).",
    ),
)

urlpatterns = [
    path("segments/preview", views.SegmentPreviewView.as_view(), name="segment-preview"),
    *config_resource_urls(
        SEGMENTS, "segments", item_parameter="segment_id", names=("segments", "segment")
    ),
    path("segments/<str:segment_id>/count", views.SegmentCountView.as_view(), name="segment-count"),
    path("segments/<str:segment_id>/leads", views.SegmentLeadsView.as_view(), name="segment-leads"),
    path(
        "segments/<str:segment_id>/leads/export",
        views.SegmentLeadsExportView.as_view(),
        name="segment-leads-export",
    ),
    path(
        "segments/<str:segment_id>/events",
        views.SegmentEventsView.as_view(),
        name="segment-events",
    ),
    path(
        "segments/<str:segment_id>/recompute",
        views.SegmentRecomputeView.as_view(),
        name="segment-recompute",
    ),
    *config_resource_urls(
        SEGMENT_RULES,
        "segments/<str:segment_id>/rules",
        item_parameter="rule_id",
        names=("segment-rules", "segment-rule"),
    ),
    path("leads/<str:lead_id>/segments", views.LeadSegmentsView.as_view(), name="lead-segments"),
]
