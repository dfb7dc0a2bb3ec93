"""Durable jobs of scoring (`leadvibe.jobs.DurableJob`, handlers in scoring.jobs): CSV
imports, lead deletions, rescores and backfills."""

from django.db import models

from leadvibe.db import PrefixedIdField
from leadvibe.jobs import DurableJob
from orgunits.models import Member
from orgunits.tenancy import OUOwnedModel, PublicIdMixin
from scoring.models.config import Ruleset


class ImportJob(DurableJob, OUOwnedModel):
    """A CSV import (scoring.ingestion.services.imports): progress counts data rows, failed
    included."""

    MAX_ERRORS = 100

    id = PrefixedIdField(prefix="imp")
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL)
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=1024)
    rows_failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.id


class LeadDeletion(DurableJob, OUOwnedModel):
    """An asynchronous lead deletion (scoring.services.lead_changes); outlives the lead it
    deleted."""

    id = models.BigAutoField(primary_key=True)
    lead_id = models.CharField(max_length=200)

    class Meta(DurableJob.Meta):
        indexes = [
            *DurableJob.Meta.indexes,
            models.Index(fields=["unit", "lead_id"], name="deletion_unit_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.status}"


class RescoreJob(PublicIdMixin, DurableJob, OUOwnedModel):
    """A rescore (scoring.services.rescore): the OU's leads replayed under the current
    configuration (asked for by a client, or after events were deleted); progress counts
    leads."""

    ID_PREFIX = "rsj_"

    id = models.BigAutoField(primary_key=True)
    # The ruleset the rescore was asked for, if any (every ruleset is recomputed).
    ruleset = models.ForeignKey(Ruleset, null=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    # Leads are done in key order; this is the last one done (a resumed job goes on from it).
    last_lead_pk = models.BigIntegerField(default=0)


class BackfillJob(PublicIdMixin, DurableJob, OUOwnedModel):
    """What the backfills (scoring.services.backfills) share: who asked, and the last lead
    done (leads are done in key order, so a resumed job goes on from it)."""

    id = models.BigAutoField(primary_key=True)
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    last_lead_pk = models.BigIntegerField(default=0)

    class Meta(DurableJob.Meta):
        abstract = True


class AccountBackfill(BackfillJob):
    """POST /admin/backfill/accounts: leads linked to the accounts their events name, field
    mappings applied from stored events, profiles and accounts rescored. Leads first, then
    accounts (key order); progress counts both. The counters add up the chunks done."""

    ID_PREFIX = "abf_"

    last_account_pk = models.BigIntegerField(default=0)
    leads_processed = models.PositiveIntegerField(default=0)
    leads_updated = models.PositiveIntegerField(default=0)
    profile_scores_updated = models.PositiveIntegerField(default=0)
    accounts_linked = models.PositiveIntegerField(default=0)
    accounts_created = models.PositiveIntegerField(default=0)
    accounts_processed = models.PositiveIntegerField(default=0)
    accounts_updated = models.PositiveIntegerField(default=0)
    account_scores_updated = models.PositiveIntegerField(default=0)


class EventBackfill(BackfillJob):
    """POST /admin/backfill/event-accounts: the `accountId` of each event's metadata made the
    id of its lead's account. Progress counts leads; the counters add up the chunks done."""

    ID_PREFIX = "ebf_"

    events_scanned = models.PositiveBigIntegerField(default=0)
    events_updated = models.PositiveBigIntegerField(default=0)
    leads_without_account = models.PositiveIntegerField(default=0)
