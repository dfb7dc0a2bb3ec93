"""Account-based marketing routes: the accounts (`/accounts` with their leads rolled up,
`/accounts/{id}`, `/accounts/delete`) and account scoring (`/accounts/rulesets` and their
rules, `/accounts/mappings`, `/accounts/properties`: the profile resources of profile_views.py
over accounts). Every route answers 403 unless the organization has `abm_enabled`, before
looking anything up."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictBooleanField, StrictCharField
from leadvibe.api.pagination import PageParamsSerializer, envelope_response, page_request_from
from leadvibe.api.query import QueryParameters, validated
from scoring.api.abm import ABM_NOTE, AbmRequiredView
from scoring.api.event_read_views import EngagementEventOutput
from scoring.api.profile_views import fit_resources, properties_view
from scoring.fit.selectors import ACCOUNT
from scoring.selectors.accounts import (
    DETAIL_EVENTS,
    DETAIL_LEADS,
    AccountFilters,
    account_detail_get,
    accounts_list,
)
from scoring.selectors.events import time_window
from scoring.services.accounts import MAX_DELETE_IDS, accounts_delete

ACCOUNT_FIT = fit_resources(ACCOUNT, base=AbmRequiredView, note=ABM_NOTE)
AccountPropertiesView = properties_view(ACCOUNT, base=AbmRequiredView, note=ABM_NOTE)


# --- The accounts ---------------------------------------------------------------------------

ACCOUNT_RANGES = ["all", "today", "yesterday", "last_24h", "last_7d", "last_30d", "last_90d"]


class AccountRollupOutput(serializers.Serializer):
    account_id = StrictCharField(source="account.account_id", help_text="The client's account id")
    name = StrictCharField(source="account.name")
    domain = StrictCharField(allow_null=True, help_text="`metadata.domain` when it is a string")
    metadata = serializers.DictField(source="account.metadata")
    account_score = serializers.IntegerField(
        source="score",
        allow_null=True,
        help_text="Score in the primary account ruleset (an account with no score stored yet "
        "has the score of empty metadata); null without an enabled primary account ruleset",
    )
    account_level = StrictCharField(
        source="level", allow_null=True, help_text="The account level containing account_score"
    )
    leads_count = serializers.IntegerField(help_text="Its leads, merged ones left out")
    total_score = serializers.IntegerField(
        help_text="Sum of its leads' primary engagement scores (0 for a lead without one)"
    )
    top_score = serializers.IntegerField(
        allow_null=True, help_text="Highest primary engagement score of its leads; null without"
    )
    last_activity_at = RFC3339DateTimeField(
        allow_null=True, help_text="Latest activity (event not suppressed) of its leads"
    )
    created_at = RFC3339DateTimeField(source="account.created_at")
    updated_at = RFC3339DateTimeField(source="account.updated_at")


class AccountsView(AbmRequiredView):
    class AccountListQuery(QueryParameters):
        range = serializers.ChoiceField(
            choices=ACCOUNT_RANGES,
            default="all",
            help_text="Accounts with a lead whose last activity falls in this named range",
        )
        search = StrictCharField(
            required=False,
            min_length=1,
            max_length=200,
            help_text="In the account's name, id or metadata (domain included), case-insensitive",
        )
        intent_level = StrictCharField(
            required=False,
            max_length=100,
            help_text="An account level's name (case-insensitive; a name of no level: no account); "
            "`all`: every account",
        )

    @extend_schema(
        parameters=[PageParamsSerializer, AccountListQuery],
        responses=inline_serializer(
            "AccountList",
            {
                "accounts": AccountRollupOutput(many=True),
                "total": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "limit": serializers.IntegerField(),
            },
        ),
        summary="List accounts aggregated by OU",
        operation_id="accounts_list",
        description=(
            "The OU's accounts, highest account score first (then the account created "
            "first), each with its account score and level and its leads rolled up: how many, "
            "the sum and the highest of their primary engagement scores, their latest "
            f"activity. {ABM_NOTE}"
        ),
    )
    def get(self, request):
        page = page_request_from(request.query_params)
        params = validated(self.AccountListQuery, request.query_params)
        level = params.get("intent_level")
        listing = accounts_list(
            ou=request.ou,
            filters=AccountFilters(
                active=time_window(params["range"], now=timezone.now()),
                search=params.get("search"),
                level=None if level is None or level.casefold() == "all" else level,
            ),
            offset=page.offset,
            limit=page.limit,
        )
        items = list(AccountRollupOutput(listing.items, many=True).data)
        return envelope_response(items, key="accounts", total=listing.total, page=page)


class AccountRulesetScoreOutput(serializers.Serializer):
    ruleset_id = StrictCharField(help_text="`ars_<n>`")
    name = StrictCharField()
    is_primary = StrictBooleanField()
    score = serializers.IntegerField()


class AccountLeadOutput(serializers.Serializer):
    id = StrictCharField(source="lead.lead_id")
    metadata = serializers.DictField(source="lead.metadata")
    score = serializers.IntegerField(help_text="Primary engagement score; 0 without one")
    engagement_level = StrictCharField(allow_null=True)
    last_active_at = RFC3339DateTimeField(allow_null=True)


class AccountDetailOutput(AccountRollupOutput):
    scores = AccountRulesetScoreOutput(
        source="fit.scores", many=True, help_text="Its score in every enabled account ruleset"
    )
    leads = AccountLeadOutput(
        many=True, help_text=f"Its {DETAIL_LEADS} highest-scoring leads (of leads_count)"
    )
    recent_events = EngagementEventOutput(
        many=True, help_text=f"Its leads' {DETAIL_EVENTS} latest events"
    )


class AccountView(AbmRequiredView):
    @extend_schema(
        responses=AccountDetailOutput,
        summary="Get account detail",
        description=f"404 when the OU has no such account. {ABM_NOTE}",
    )
    def get(self, request, account_id):
        detail = account_detail_get(ou=request.ou, account_id=account_id)
        return Response(AccountDetailOutput(detail).data)


class AccountsDeleteView(AbmRequiredView):
    class AccountsDeleteInput(serializers.Serializer):
        ids = serializers.ListField(
            child=StrictCharField(max_length=200),
            min_length=1,
            max_length=MAX_DELETE_IDS,
            help_text=f"Account ids (the client's), 1 to {MAX_DELETE_IDS}",
        )

    class AccountsDeletedOutput(serializers.Serializer):
        accounts_deleted = serializers.IntegerField()
        leads_unlinked = serializers.IntegerField(help_text="Leads that had one of the accounts")
        account_scores_deleted = serializers.IntegerField()
        not_found = serializers.ListField(
            child=StrictCharField(), help_text="Ids the OU has no account of"
        )

    @extend_schema(
        request=AccountsDeleteInput,
        responses=AccountsDeletedOutput,
        summary="Batch delete/unlink accounts",
        description=(
            "Unlinks the accounts' leads (they keep their scores and events), then deletes "
            "the accounts and their account scores. Ids of no account of the OU are listed "
            f"in `not_found`. {ABM_NOTE}"
        ),
    )
    def post(self, request):
        data = validated(self.AccountsDeleteInput, request.data)
        deleted = accounts_delete(ou=request.ou, account_ids=data["ids"])
        return Response(self.AccountsDeletedOutput(deleted).data)
