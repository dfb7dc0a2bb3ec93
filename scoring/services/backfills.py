"""Backfills (POST /admin/backfill/accounts, /admin/backfill/event-accounts): bring stored
leads, accounts and events in line with what the pipeline does to new activity, as durable
jobs (leadvibe.jobs) whose progress GET on the same route reports.

- Accounts (`AccountBackfill`): the OU's unmerged leads in key order, a chunk per
  transaction (`leads_mappings_apply` with account links), then its accounts in key order
  (`accounts_mappings_apply`). Leads link to the account their events name, profile and
  account mappings are applied from the stored events, profiles and accounts are rescored.
- Event accounts (`EventBackfill`): the leads in key order; each chunk writes the id of the
  lead's account into `metadata.accountId` of the lead's events where it differs (system
  events, which replays rewrite, are left alone; so are events whose metadata is not an
  object).

Each chunk records, in its own transaction, the last lead (account) done and the counters, so
a job whose worker died resumes where it stopped; a chunk done twice changes nothing, so a
second run of either backfill changes nothing.

Concurrent activity: a chunk holds its leads' locks (lead_locks order: the configuration
version row FOR SHARE, then leads in id order, then accounts in id order, then events), so a
scoring batch either committed before the chunk read the leads' events, or leaves their events
to a later batch that sees the chunk's metadata and links. Events stored meanwhile only need
their lead's key, which the chunk does not hold up.
"""

from functools import partial

from django.db import connection
from django.db.models import QuerySet

from leadvibe.db import atomic_retrying_conflicts, keys_after
from leadvibe.jobs import Heartbeat, JobHandler
from orgunits.models import Member, OrgUnit
from scoring.fit.services.scores import accounts_mappings_apply, leads_mappings_apply
from scoring.models import Account, AccountBackfill, EngagementEvent, EventBackfill, Lead
from scoring.services.job_requests import job_pending_or_enqueued
from scoring.services.lead_locks import leads_lock

LEAD_CHUNK = 200
ACCOUNT_CHUNK = 50


def account_backfill_start(*, ou: OrgUnit, member: Member | None) -> AccountBackfill:
    """POST /admin/backfill/accounts."""
    return job_pending_or_enqueued(AccountBackfill, ou=ou, created_by=member)


def event_backfill_start(*, ou: OrgUnit, member: Member | None) -> EventBackfill:
    """POST /admin/backfill/event-accounts."""
    return job_pending_or_enqueued(EventBackfill, ou=ou, created_by=member)


def _unmerged_leads(unit_id: str) -> QuerySet[Lead]:
    leads: QuerySet[Lead] = Lead.objects.for_ou(unit_id)
    return leads.filter(merged_into__isnull=True)


def _next_leads(unit_id: str, after: int) -> list[int]:
    return keys_after(_unmerged_leads(unit_id), after, LEAD_CHUNK)


class AccountBackfillHandler(JobHandler[AccountBackfill]):
    kind = "account_backfill"
    model = AccountBackfill

    def run(self, job: AccountBackfill, heartbeat: Heartbeat) -> None:
        accounts = Account.objects.for_ou(job.unit_id)
        if job.progress_total is None:
            heartbeat(progress_total=_unmerged_leads(job.unit_id).count() + accounts.count())
        while chunk := _next_leads(job.unit_id, job.last_lead_pk):
            atomic_retrying_conflicts(partial(_account_leads_chunk, job, chunk, heartbeat))
        if job.last_account_pk == 0:
            # The lead chunks may have created accounts.
            heartbeat(progress_total=job.progress_done + accounts.count())
        while chunk := keys_after(accounts, job.last_account_pk, ACCOUNT_CHUNK):
            atomic_retrying_conflicts(partial(_accounts_chunk, job, chunk, heartbeat))


def _account_leads_chunk(job: AccountBackfill, chunk: list[int], heartbeat: Heartbeat) -> None:
    applied = leads_mappings_apply(unit_id=job.unit_id, lead_pks=chunk, link_accounts=True)
    heartbeat(
        last_lead_pk=chunk[-1],
        progress_done=job.progress_done + len(chunk),
        leads_processed=job.leads_processed + applied.leads_processed,
        leads_updated=job.leads_updated + applied.leads_updated,
        profile_scores_updated=job.profile_scores_updated + applied.profile_scores_updated,
        accounts_linked=job.accounts_linked + applied.accounts_linked,
        accounts_created=job.accounts_created + applied.accounts_created,
    )


def _accounts_chunk(job: AccountBackfill, chunk: list[int], heartbeat: Heartbeat) -> None:
    mapped = accounts_mappings_apply(unit_id=job.unit_id, account_pks=chunk)
    heartbeat(
        last_account_pk=chunk[-1],
        progress_done=job.progress_done + len(chunk),
        accounts_processed=job.accounts_processed + mapped.accounts_processed,
        accounts_updated=job.accounts_updated + mapped.accounts_updated,
        account_scores_updated=job.account_scores_updated + mapped.account_scores_updated,
    )


class EventBackfillHandler(JobHandler[EventBackfill]):
    kind = "event_backfill"
    model = EventBackfill

    def run(self, job: EventBackfill, heartbeat: Heartbeat) -> None:
        if job.progress_total is None:
            heartbeat(progress_total=_unmerged_leads(job.unit_id).count())
        while chunk := _next_leads(job.unit_id, job.last_lead_pk):
            atomic_retrying_conflicts(partial(_event_accounts_chunk, job, chunk, heartbeat))


_EVENTS = EngagementEvent._meta.db_table
_LEADS = Lead._meta.db_table
_ACCOUNTS = Account._meta.db_table


def _event_accounts_chunk(job: EventBackfill, chunk: list[int], heartbeat: Heartbeat) -> None:
    """The chunk's leads locked (their events follow them in lead_locks' order), then one
    statement counts and one writes their events."""
    leads_lock(lead_pks=chunk)
    key = EngagementEvent.ACCOUNT_ID_KEY
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {_LEADS} AS l WHERE l.id = ANY(%s) "  # noqa: S608
            "AND l.merged_into_id IS NULL AND l.account_id IS NULL), "
            f"(SELECT count(*) FROM {_EVENTS} AS e JOIN {_LEADS} AS l ON l.id = e.lead_id "
            "WHERE l.id = ANY(%s) AND l.merged_into_id IS NULL AND l.account_id IS NOT NULL "
            "AND e.source <> %s)",
            [chunk, chunk, EngagementEvent.Source.SYSTEM],
        )
        without_account, scanned = cursor.fetchone()
        cursor.execute(
            f"UPDATE {_EVENTS} AS e "  # noqa: S608
            "SET metadata = e.metadata || jsonb_build_object(%s, a.account_id) "
            f"FROM {_LEADS} AS l JOIN {_ACCOUNTS} AS a ON a.id = l.account_id "
            "WHERE e.lead_id = l.id AND l.id = ANY(%s) AND l.merged_into_id IS NULL "
            "AND e.source <> %s AND jsonb_typeof(e.metadata) = 'object' "
            "AND (e.metadata->%s) IS DISTINCT FROM to_jsonb(a.account_id)",
            [key, chunk, EngagementEvent.Source.SYSTEM, key],
        )
        updated = cursor.rowcount
    heartbeat(
        last_lead_pk=chunk[-1],
        progress_done=job.progress_done + len(chunk),
        events_scanned=job.events_scanned + scanned,
        events_updated=job.events_updated + updated,
        leads_without_account=job.leads_without_account + without_account,
    )
