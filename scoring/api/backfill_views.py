"""`/admin/backfill/accounts` and `/admin/backfill/event-accounts`: POST starts the backfill
(202 + the job), GET reports the OU's latest one (404 before the first). Owners and org
admins, with a member's JWT (like the other `/admin` routes)."""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from leadvibe.api.fields import RFC3339DateTimeField, StrictCharField
from leadvibe.jobs import job_progress_share
from orgunits.api.base import ApiView, Role
from scoring.models.jobs import BackfillJob
from scoring.selectors.backfills import account_backfill_latest, event_backfill_latest
from scoring.services.backfills import account_backfill_start, event_backfill_start


class BackfillJobOut(serializers.Serializer[BackfillJob]):
    job_id = StrictCharField(source="public_id")
    status = StrictCharField()
    progress = serializers.SerializerMethodField(help_text="Share of the work done, 0..1.")
    error = StrictCharField()
    created_at = RFC3339DateTimeField()
    started_at = RFC3339DateTimeField(allow_null=True)
    finished_at = RFC3339DateTimeField(allow_null=True)

    def get_progress(self, job: BackfillJob) -> float:
        return job_progress_share(job)


class AccountBackfillOut(BackfillJobOut):
    leads_processed = serializers.IntegerField()
    leads_updated = serializers.IntegerField(help_text="Leads whose metadata the mappings changed")
    profile_scores_updated = serializers.IntegerField(help_text="Profile scores that changed")
    accounts_linked = serializers.IntegerField(help_text="Leads linked to an account")
    accounts_created = serializers.IntegerField()
    accounts_processed = serializers.IntegerField()
    accounts_updated = serializers.IntegerField(
        help_text="Accounts whose metadata the mappings changed"
    )
    account_scores_updated = serializers.IntegerField(help_text="Account scores that changed")


class EventBackfillOut(BackfillJobOut):
    events_scanned = serializers.IntegerField(help_text="Events of leads that have an account")
    events_updated = serializers.IntegerField()
    leads_without_account = serializers.IntegerField()


RESUMABLE = (
    "Runs in chunks, each committed with the job's progress, while events keep arriving; a job "
    "whose worker stopped resumes where it stopped. Running it again changes nothing. While a "
    "job of the OU waits to start, that job is answered."
)


class _BackfillView(ApiView):
    """POST starts the backfill (`start`), GET reports the latest (`latest`), both rendered by
    `output`. Owners and org admins, with a member's JWT."""

    jwt_only = True
    read_role = Role.OWNER
    write_role = Role.OWNER
    start: Callable[..., BackfillJob]
    latest: Callable[..., BackfillJob]
    output: type[BackfillJobOut]

    def post(self, request: Request) -> Response:
        job = type(self).start(ou=request.ou, member=request.member)  # type: ignore[attr-defined]
        return Response(self.output(job).data, status=status.HTTP_202_ACCEPTED)

    def get(self, request: Request) -> Response:
        job = type(self).latest(ou=request.ou)  # type: ignore[attr-defined]
        return Response(self.output(job).data)


def _latest_schema(kind: str, output: type[BackfillJobOut]) -> dict[str, Any]:
    return {
        "get": extend_schema(
            responses=output,
            summary=f"The latest {kind} backfill of the OU, with its progress (OU-scoped)",
            description="404 before the first backfill.",
        )
    }


@extend_schema_view(
    post=extend_schema(
        request=None,
        responses={202: AccountBackfillOut},
        summary="Backfill account mapping and profile scoring (OU-scoped)",
        description=(
            "Answers 202 with a job. A worker goes through the OU's leads: a lead without an "
            "account is linked to the account its latest scored event names in "
            "`metadata.accountId` (created when new; with ABM only), profile mappings are "
            "applied from its scored, unsuppressed events (not of observe-only types) in time "
            "order, and its profile is rescored; then each account's mappings are applied from "
            "its leads' events and the account is rescored. " + RESUMABLE
        ),
    ),
    **_latest_schema("account", AccountBackfillOut),
)
class AccountBackfillView(_BackfillView):
    start = staticmethod(account_backfill_start)
    latest = staticmethod(account_backfill_latest)
    output = AccountBackfillOut


@extend_schema_view(
    post=extend_schema(
        request=None,
        responses={202: EventBackfillOut},
        summary="Backfill event metadata accountId (OU-scoped)",
        description=(
            "Answers 202 with a job. A worker sets `metadata.accountId` of every event whose "
            "lead has an account to that account's id, where it is missing or differs (system "
            "events such as DECAY are left alone). " + RESUMABLE
        ),
    ),
    **_latest_schema("event-accounts", EventBackfillOut),
)
class EventBackfillView(_BackfillView):
    start = staticmethod(event_backfill_start)
    latest = staticmethod(event_backfill_latest)
    output = EventBackfillOut
