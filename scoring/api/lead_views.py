"""Lead routes: list, create, search, read, replace, merge-patch metadata, delete
(asynchronous), deletion status, aliases, profile, account and merge.

A lead answers 404 from the moment its deletion is accepted. A merged lead still answers
GET /leads/{id} (its `merged_into` names the target) but is read-only (409) and is left out
of lists and search.
"""

import datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictBooleanField, StrictCharField
from leadvibe.api.pagination import (
    PageParamsSerializer,
    bare_list_response,
    envelope_response,
    page_request_from,
)
from leadvibe.api.parsers import JSONParser
from leadvibe.api.query import QueryParameters, validated
from orgunits.api.base import ApiView
from scoring.api.config_fields import MAX_SCORE_BOUND
from scoring.api.event_read_views import SYNC_OVERLAP_TEXT, sync_cursor_check
from scoring.fit.selectors import account_fit_get, lead_profile_get
from scoring.selectors.events import time_window
from scoring.selectors.lead_list import (
    EXACT_COUNT_LIMIT,
    SORTS,
    LeadListFilters,
    LeadListPage,
    leads_changed_since,
    leads_list,
)
from scoring.selectors.leads import (
    SEARCH_LIMIT,
    lead_aliases,
    lead_deletion_latest,
    lead_get,
    leads_search,
)
from scoring.services.lead_changes import (
    KEEP_ACCOUNT,
    MAX_MERGE_SOURCES,
    lead_deletion_request,
    lead_merge,
    lead_metadata_patch,
    lead_metadata_validate,
    lead_update,
)
from scoring.services.leads import lead_create

LEAD_RANGES = ["all", "today", "yesterday", "last_24h", "last_7d", "last_30d", "last_90d"]
LAST_ACTIVE_DAYS = {"7d": 7, "30d": 30}
# The list's parameters that order or narrow it, which the sync feed (`updated_since`) refuses.
SYNC_EXCLUDES = ("range", "event_type", "last_active", "min_score", "max_score", "sort", "page")
# Path words of routes next to /leads/{id}: a lead with such an id could not be read.
RESERVED_LEAD_IDS = frozenset({"search", "merge", "scores"})


# --- Serializers ----------------------------------------------------------------------------


class LeadOutput(serializers.Serializer):
    id = StrictCharField(source="lead_id", help_text="The client's lead id")
    org_id = StrictCharField()
    unit_id = StrictCharField()
    account_id = StrictCharField(source="account.account_id", allow_null=True)
    owner_id = StrictCharField(allow_null=True)
    owner_name = serializers.SerializerMethodField()
    created_at = RFC3339DateTimeField()
    updated_at = RFC3339DateTimeField()
    merged_into = StrictCharField(
        source="merged_into.lead_id",
        allow_null=True,
        help_text="The lead this one was merged into (then it is read-only), else null",
    )
    metadata = serializers.DictField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_owner_name(self, lead) -> str | None:
        if lead.owner is None:
            return None
        return f"{lead.owner.first_name} {lead.owner.last_name}".strip() or lead.owner.email


class LeadAccountOutput(serializers.Serializer):
    account_id = StrictCharField()
    name = StrictCharField()
    metadata = serializers.DictField()


class LeadDetailOutput(serializers.Serializer):
    lead = LeadOutput()
    account = LeadAccountOutput(source="lead.account", allow_null=True)


def _detail(lead) -> dict:
    return LeadDetailOutput({"lead": lead}).data


class LeadListItemOutput(serializers.Serializer):
    id = StrictCharField(source="lead.lead_id")
    account_id = StrictCharField(source="lead.account.account_id", allow_null=True)
    metadata = serializers.DictField(source="lead.metadata")
    created_at = RFC3339DateTimeField(source="lead.created_at")
    updated_at = RFC3339DateTimeField(source="lead.updated_at")
    score = serializers.IntegerField(help_text="Primary ruleset score; 0 without one")
    engagement_level = StrictCharField(
        allow_null=True, help_text="The engagement level containing the score"
    )
    last_event_type = StrictCharField(
        allow_null=True, help_text="Type of the lead's last scored event"
    )
    last_active_at = RFC3339DateTimeField(
        allow_null=True,
        help_text="Time of the lead's last activity: its last event that was not suppressed",
    )
    changed_at = RFC3339DateTimeField(
        allow_null=True,
        help_text="With `updated_since`: when the lead's row or scores last changed, its "
        "place in the sync feed; null otherwise",
    )


class LeadDeletionOutput(serializers.Serializer):
    lead_id = StrictCharField()
    status = StrictCharField(help_text="pending, running, completed or failed")


class LeadMetadataField(serializers.DictField):
    """A JSON object of at most 100 KB (413 above)."""

    def __init__(self, **kwargs):
        super().__init__(validators=[lead_metadata_validate], **kwargs)


# --- /leads ---------------------------------------------------------------------------------


class LeadsView(ApiView):
    class LeadListQuery(QueryParameters):
        range = serializers.ChoiceField(
            choices=LEAD_RANGES, default="all", help_text="Named range on the lead's created_at"
        )
        event_type = StrictCharField(
            required=False, max_length=100, help_text="Type of the lead's last event"
        )
        last_active = serializers.ChoiceField(
            choices=["any", "7d", "30d"],
            default="any",
            help_text="The lead's last event is at most this old",
        )
        min_score = serializers.IntegerField(
            required=False,
            min_value=-MAX_SCORE_BOUND,
            max_value=MAX_SCORE_BOUND,
            help_text="Primary score at least this (inclusive)",
        )
        max_score = serializers.IntegerField(
            required=False,
            min_value=-MAX_SCORE_BOUND,
            max_value=MAX_SCORE_BOUND,
            help_text="Primary score at most this (inclusive)",
        )
        sort = serializers.ChoiceField(
            choices=SORTS,
            default="-score",
            help_text="`-score` (default): highest primary score first; `score`; "
            "`-created_at`: newest first; `created_at`",
        )
        updated_since = RFC3339DateTimeField(
            required=False,
            help_text="Incremental sync: only leads whose row or scores changed at or after "
            "this, ordered by `changed_at`. See the operation's description.",
        )
        after_id = StrictCharField(
            max_length=200,
            required=False,
            help_text="With `updated_since` (the `changed_at` of this lead): only the leads "
            "after this one. Resumes a sync where its last page ended.",
        )

        def validate(self, attrs):
            sync_cursor_check(attrs, bound="updated_since", item="the changed_at of that lead")
            if "updated_since" in attrs:
                combined = sorted(set(self.initial_data) & set(SYNC_EXCLUDES))
                if combined:
                    raise serializers.ValidationError(
                        {name: ["Not combined with updated_since."] for name in combined}
                    )
            return attrs

    class LeadCreateInput(serializers.Serializer):
        id = StrictCharField(max_length=200, help_text="The client's lead id, unique")
        metadata = LeadMetadataField(required=False, default=dict)
        account_id = StrictCharField(max_length=200, required=False, allow_null=True)

        def validate_id(self, value: str) -> str:
            if "/" in value or value in RESERVED_LEAD_IDS:
                raise serializers.ValidationError(
                    "Must not contain '/' nor be one of: " + ", ".join(sorted(RESERVED_LEAD_IDS))
                )
            return value

    @extend_schema(
        parameters=[PageParamsSerializer, LeadListQuery],
        responses=inline_serializer(
            "LeadList",
            {
                "leads": LeadListItemOutput(many=True),
                "total": serializers.IntegerField(),
                "total_exact": StrictBooleanField(
                    help_text=f"false: more than {EXACT_COUNT_LIMIT:,} leads match and "
                    "`total` is an estimate"
                ),
                "page": serializers.IntegerField(),
                "limit": serializers.IntegerField(),
            },
        ),
        summary="List lead scores (OU-scoped)",
        operation_id="leads_list",
        description=(
            "Unmerged leads with their primary ruleset score (0 without one) and engagement "
            "level, highest score first by default (ties: the lead created first; leads "
            "without a stored score after those with a stored 0). `range` filters on the "
            "lead's creation time; `event_type` and `last_active` on its last scored event "
            "and last activity (its last event not suppressed; system events such as DECAY "
            "are not activity). `min_score`/`max_score` are inclusive. `total` counts every "
            f"match exactly up to {EXACT_COUNT_LIMIT:,}; above, it is the database's "
            "estimate and `total_exact` is false.\n\n"
            "**Incremental sync.** With `updated_since` the list holds the unmerged leads whose "
            "row (metadata, account) or scores (an event scored, a decay, a rescore) changed "
            "at or after it, each once, ordered by `changed_at` (the later of the two), then "
            "`id`; no other filter, `sort` nor `page` goes with it (400). Read pages with "
            "`updated_since` = the `changed_at` of the last lead you read and `after_id` = its "
            "`id`, until a page is shorter than `limit`. A lead that changes while you read "
            "moves to its new place later in the feed, so you see it again: keep the last "
            "copy. Keep where you stopped; the next run starts "
            f"{SYNC_OVERLAP_TEXT} earlier (`updated_since` only) and skips what it already "
            "has: a change is stamped when its write begins and shows once it commits, within "
            "that overlap. Not reported: deleted or merged-away leads, and configuration "
            "changes that move every score at once without rewriting it (switching the "
            "primary ruleset, editing levels): sync in full after those."
        ),
    )
    def get(self, request):
        page = page_request_from(request.query_params)
        params = validated(self.LeadListQuery, request.query_params)
        if "updated_since" in params:
            listing = leads_changed_since(
                ou=request.ou,
                since=params["updated_since"],
                after_lead_id=params.get("after_id"),
                limit=page.limit,
            )
        else:
            listing = self._leads_listed(request.ou, params, page)
        items = LeadListItemOutput(listing.items, many=True).data
        response = envelope_response(items, key="leads", total=listing.total, page=page)
        response.data["total_exact"] = listing.total_exact
        return response

    @staticmethod
    def _leads_listed(ou, params: dict, page) -> LeadListPage:
        now = timezone.now()
        days = LAST_ACTIVE_DAYS.get(params["last_active"])
        return leads_list(
            ou=ou,
            filters=LeadListFilters(
                created=time_window(params["range"], now=now),
                last_event_type=params.get("event_type"),
                active_since=now - datetime.timedelta(days=days) if days else None,
                min_score=params.get("min_score"),
                max_score=params.get("max_score"),
            ),
            sort=params["sort"],
            offset=page.offset,
            limit=page.limit,
        )

    @extend_schema(
        request=LeadCreateInput,
        responses={201: LeadOutput},
        summary="Create a lead (OU-scoped)",
        description="409 when the OU already has a lead with this id.",
    )
    def post(self, request):
        data = validated(self.LeadCreateInput, request.data)
        lead = lead_create(
            ou=request.ou,
            lead_id=data["id"],
            metadata=data["metadata"],
            account_id=data.get("account_id"),
        )
        return Response(LeadOutput(lead).data, status=status.HTTP_201_CREATED)


class LeadSearchView(ApiView):
    class LeadSearchQuery(QueryParameters):
        q = StrictCharField(min_length=2, max_length=320, help_text="At least 2 characters")

    class LeadSearchItemOutput(serializers.Serializer):
        id = StrictCharField(source="lead.lead_id")
        metadata = serializers.DictField(source="lead.metadata")
        created_at = RFC3339DateTimeField(source="lead.created_at")
        updated_at = RFC3339DateTimeField(source="lead.updated_at")
        matched_by = StrictCharField(help_text="`id`, or the kind of the matching alias")
        matched_value = StrictCharField(help_text="The lead id or the alias value")

    @extend_schema(
        parameters=[LeadSearchQuery],
        responses=LeadSearchItemOutput(many=True),
        summary="Search leads by id or alias (OU-scoped)",
        description=(
            f"Up to {SEARCH_LIMIT} unmerged leads: first those whose id starts with `q` "
            "(case-sensitive), then those with an alias whose normalized value starts with "
            "`q` (emails case-insensitively; a phone-like `q` also matches phones as digits "
            "with a leading +)."
        ),
    )
    def get(self, request):
        query = validated(self.LeadSearchQuery, request.query_params)
        matches = leads_search(ou=request.ou, query=query["q"])
        return Response(self.LeadSearchItemOutput(matches, many=True).data)


class LeadMergeTruncateInput(serializers.Serializer):
    policy = serializers.ChoiceField(
        choices=["none"],
        default="none",
        error_messages={
            "invalid_choice": "Only the truncation policy 'none' is supported for now."
        },
    )

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {key: ["Not supported: the only truncation policy is 'none'."] for key in unknown}
            )
        return attrs


class LeadMergeView(ApiView):
    class LeadMergeInput(serializers.Serializer):
        targetLeadId = StrictCharField(max_length=200)
        sourceLeadIds = serializers.ListField(
            child=StrictCharField(max_length=200),
            min_length=1,
            max_length=MAX_MERGE_SOURCES,
        )
        truncate = LeadMergeTruncateInput(required=False)

    @extend_schema(
        request=LeadMergeInput,
        responses=inline_serializer(
            "LeadMergeResult",
            {
                "target": LeadOutput(),
                "mergedSources": serializers.ListField(child=StrictCharField()),
                "movedEvents": serializers.IntegerField(),
                "truncatedEvents": serializers.IntegerField(help_text="Always 0: policy none"),
                "rescore": inline_serializer("LeadMergeRescore", {"status": StrictCharField()}),
            },
        ),
        summary="Merge leads (OU-scoped)",
        description=(
            "Moves the sources' events (each keeps the lead it was ingested for), aliases and "
            "orders to the target and marks the sources merged. The target's metadata keys, "
            "account and owner win; what it lacks is taken from the sources in the order "
            "given. Every id must name a lead of the active OU (404 otherwise); leads already "
            "merged cannot take part (409). The target's scores are recomputed asynchronously "
            "(`rescore.status` is `pending`)."
        ),
    )
    def post(self, request):
        data = validated(self.LeadMergeInput, request.data)
        result = lead_merge(
            ou=request.ou,
            target_id=data["targetLeadId"],
            source_ids=data["sourceLeadIds"],
        )
        return Response(
            {
                "target": LeadOutput(result.target).data,
                "mergedSources": [source.lead_id for source in result.sources],
                "movedEvents": result.moved_events,
                "truncatedEvents": 0,
                "rescore": {"status": "pending"},
            }
        )


# --- /leads/{lead_id} -----------------------------------------------------------------------


class LeadView(ApiView):
    class LeadUpdateInput(serializers.Serializer):
        metadata = LeadMetadataField(help_text="Replaces the lead's metadata")
        account_id = StrictCharField(
            max_length=200,
            required=False,
            allow_null=True,
            help_text="Links the account (created when new); null unlinks; absent keeps it",
        )

    @extend_schema(
        responses=LeadDetailOutput,
        summary="Get a lead with its account (OU-scoped)",
        description="A merged lead answers too: `merged_into` names the lead it became.",
    )
    def get(self, request, lead_id):
        return Response(_detail(lead_get(ou=request.ou, lead_id=lead_id)))

    @extend_schema(
        request=LeadUpdateInput,
        responses=LeadDetailOutput,
        summary="Replace a lead's metadata, optionally its account (OU-scoped)",
        description="409 for a merged lead.",
    )
    def put(self, request, lead_id):
        data = validated(self.LeadUpdateInput, request.data)
        lead = lead_update(
            ou=request.ou,
            lead_id=lead_id,
            metadata=data["metadata"],
            account_id=data.get("account_id", KEEP_ACCOUNT),
        )
        return Response(_detail(lead))

    @extend_schema(
        request=None,
        responses={202: LeadDeletionOutput},
        summary="Delete a lead, asynchronously (OU-scoped)",
        description=(
            "Answers at once with the deletion's status; the lead answers 404 from now on. "
            "Its events, aliases and orders, and the leads merged into it, are deleted in the "
            "background: follow `GET /leads/{lead_id}/deletion`."
        ),
    )
    def delete(self, request, lead_id):
        deletion = lead_deletion_request(ou=request.ou, lead_id=lead_id)
        return Response(LeadDeletionOutput(deletion).data, status=status.HTTP_202_ACCEPTED)


class LeadDeletionView(ApiView):
    @extend_schema(
        responses=LeadDeletionOutput,
        summary="Lead deletion status (OU-scoped)",
        description="The latest deletion of this lead id; 404 when it was never deleted.",
    )
    def get(self, request, lead_id):
        deletion = lead_deletion_latest(ou=request.ou, lead_id=lead_id)
        return Response(LeadDeletionOutput(deletion).data)


class MergePatchParser(JSONParser):
    media_type = "application/merge-patch+json"


class LeadMetadataView(ApiView):
    parser_classes = [JSONParser, MergePatchParser]

    class LeadMetadataOutput(serializers.Serializer):
        id = StrictCharField(source="lead_id")
        org_id = StrictCharField()
        unit_id = StrictCharField()
        metadata = serializers.DictField()

    @extend_schema(
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/merge-patch+json": OpenApiTypes.OBJECT,
        },
        responses=LeadMetadataOutput,
        summary="Merge-patch a lead's metadata (OU-scoped)",
        description=(
            "JSON merge patch (RFC 7386): `null` removes a key, objects merge recursively, "
            "other values replace. The body must be a JSON object. 409 for a merged lead."
        ),
    )
    def patch(self, request, lead_id):
        patch = LeadMetadataField().run_validation(request.data)
        lead = lead_metadata_patch(ou=request.ou, lead_id=lead_id, patch=patch)
        return Response(self.LeadMetadataOutput(lead).data)


class LeadAliasesView(ApiView):
    class LeadAliasOutput(serializers.Serializer):
        alias_kind = StrictCharField(source="kind")
        value = StrictCharField(source="normalized_value", help_text="Normalized")
        raw_value = StrictCharField(help_text="As first sent, trimmed")
        created_at = RFC3339DateTimeField()

    @extend_schema(
        responses=LeadAliasOutput(many=True),
        summary="List a lead's aliases (OU-scoped)",
        description="Oldest first. The count is in `X-Total-Count`.",
    )
    def get(self, request, lead_id):
        aliases = lead_aliases(ou=request.ou, lead_id=lead_id)
        items = self.LeadAliasOutput(aliases, many=True).data
        return bare_list_response(items, total=len(items))


class LeadProfileView(ApiView):
    @extend_schema(
        responses=inline_serializer(
            "LeadProfile",
            {
                "lead_id": StrictCharField(),
                "metadata": serializers.DictField(),
                "profile_score": serializers.IntegerField(
                    allow_null=True,
                    help_text="The score in the primary profile ruleset; null when the OU "
                    "has no enabled primary profile ruleset",
                ),
                "profile_level": StrictCharField(
                    allow_null=True, help_text="The profile level containing profile_score"
                ),
            },
        ),
        summary="Get a lead's profile metadata and profile score (OU-scoped)",
        description=(
            "Profile rules of each enabled profile ruleset add their weight when their "
            "condition holds on the lead's metadata; the score is recomputed whenever the "
            "metadata or the rules change."
        ),
    )
    def get(self, request, lead_id):
        profile = lead_profile_get(ou=request.ou, lead_id=lead_id)
        return Response(
            {
                "lead_id": profile.lead.lead_id,
                "metadata": profile.lead.metadata,
                "profile_score": profile.fit.score,
                "profile_level": profile.fit.level,
            }
        )


class LeadAccountScoredOutput(LeadAccountOutput):
    account_score = serializers.IntegerField(
        source="fit.score",
        allow_null=True,
        help_text="The account's score in the primary account ruleset; null without an "
        "enabled primary account ruleset or ABM",
    )
    account_level = StrictCharField(source="fit.level", allow_null=True)


class LeadAccountView(ApiView):
    @extend_schema(
        responses=inline_serializer(
            "LeadAccountResult",
            {
                "lead_id": StrictCharField(),
                "account": LeadAccountScoredOutput(allow_null=True),
            },
        ),
        summary="Get a lead's account (OU-scoped)",
        description="`account` is null when the lead has none.",
    )
    def get(self, request, lead_id):
        lead = lead_get(ou=request.ou, lead_id=lead_id)
        account = None
        if lead.account:
            lead.account.fit = account_fit_get(ou=request.ou, account=lead.account)
            account = LeadAccountScoredOutput(lead.account).data
        return Response({"lead_id": lead.lead_id, "account": account})
