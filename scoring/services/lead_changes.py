"""Changes to existing leads: metadata (replace, JSON merge patch), the account link, merges,
and deletion (requested here, run as a durable job).

Profile scoring and score replay are called directly; the layers above scoring (segments)
act through the extension points of `scoring.extension_points` (LEAD_METADATA_CHANGED,
LEADS_MERGED, LEADS_DELETING), published inside the change's transaction after its writes,
so what they write commits or rolls back with it.

Merged leads are read-only: a merge moves their data to the target and keeps them only so
that `merged_into` answers where they went. Deletion is asynchronous: the request records a
pending LeadDeletion, a durable job (leadvibe.jobs) that a worker runs after commit. A
deletion takes the lead's events, aliases and orders, and the leads merged into it.
"""

from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Literal

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadvibe.db import atomic_retrying_conflicts
from leadvibe.exceptions import ApplicationError, ConflictError, NotFoundError
from leadvibe.jobs import Heartbeat, JobHandler, job_enqueue
from orgunits.models import OrgUnit
from scoring.extension_points import (
    LEAD_METADATA_CHANGED,
    LEADS_DELETING,
    LEADS_MERGED,
    LeadMetadataChanged,
    LeadsDeleting,
    LeadsMerged,
)
from scoring.fit.services.scores import lead_profile_changed, lead_profile_merged
from scoring.ingestion.services.events import metadata_check, metadata_encode
from scoring.models import EngagementEvent, Lead, LeadAlias, LeadDeletion, Order
from scoring.selectors.leads import DELETION_IN_PROGRESS, leads_visible
from scoring.services.lead_locks import scoring_states_lock
from scoring.services.leads import account_get_or_create
from scoring.services.scoring_stage import leads_replay

MAX_MERGE_SOURCES = 100


def _metadata_changed(lead: Lead) -> None:
    """PUT or PATCH changed the lead's metadata."""
    lead_profile_changed(lead)
    LEAD_METADATA_CHANGED.publish(
        LeadMetadataChanged(unit_id=lead.unit_id, lead_pks=(lead.pk,), cause="updated")
    )


def lead_metadata_validate(metadata: dict) -> None:
    """Lead metadata follows the rules of event metadata (size limit: 413 above it)."""
    metadata_check(metadata_encode(metadata))


class _Keep(Enum):
    ACCOUNT = "keep"


KEEP_ACCOUNT = _Keep.ACCOUNT


def _lead_for_update(*, ou: OrgUnit, lead_id: str) -> Lead:
    """The visible lead, row-locked; merged leads cannot be changed (409)."""
    lead = leads_visible(ou=ou).select_for_update(no_key=True).filter(lead_id=lead_id).first()
    if lead is None:
        raise NotFoundError()
    if lead.merged_into_id is not None:
        target = (
            Lead.objects.unscoped().filter(id=lead.merged_into_id).values_list("lead_id", flat=True)
        )
        raise ConflictError(f"Lead {lead_id!r} was merged into {target.first()!r}")
    return lead


def lead_update(
    *,
    ou: OrgUnit,
    lead_id: str,
    metadata: dict,
    account_id: str | Literal[_Keep.ACCOUNT] | None = KEEP_ACCOUNT,
) -> Lead:
    """Replace the metadata; link the account (created when new), unlink it with None, or
    leave it with KEEP_ACCOUNT."""
    lead_metadata_validate(metadata)
    with transaction.atomic():
        lead = _lead_for_update(ou=ou, lead_id=lead_id)
        changed = []
        if metadata != lead.metadata:
            lead.metadata = metadata
            changed.append("metadata")
        if account_id is not KEEP_ACCOUNT:
            account = account_get_or_create(ou=ou, account_id=account_id) if account_id else None
            if lead.account_id != (account.id if account else None):
                lead.account = account
                changed.append("account")
        if changed:
            lead.save(update_fields=[*changed, "updated_at"])
        if "metadata" in changed:
            _metadata_changed(lead)
        elif changed:  # segments' account rules read the account link
            LEAD_METADATA_CHANGED.publish(
                LeadMetadataChanged(unit_id=lead.unit_id, lead_pks=(lead.pk,), cause="updated")
            )
    return lead


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch: `null` removes a key, objects merge recursively, anything
    else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def lead_metadata_patch(*, ou: OrgUnit, lead_id: str, patch: dict) -> Lead:
    with transaction.atomic():
        lead = _lead_for_update(ou=ou, lead_id=lead_id)
        metadata = merge_patch(lead.metadata, patch)
        lead_metadata_validate(metadata)
        if metadata != lead.metadata:
            lead.metadata = metadata
            lead.save(update_fields=["metadata", "updated_at"])
            _metadata_changed(lead)
    return lead


@dataclass
class MergeResult:
    target: Lead
    sources: list[Lead]
    moved_events: int


def lead_merge(*, ou: OrgUnit, target_id: str, source_ids: list[str]) -> MergeResult:
    """Merge the sources into the target, all leads of `ou` (else 404, whichever OU they are
    in). Events move (keeping `original_lead`), as do aliases and orders; the sources and the
    leads merged into them point to the target. The target's metadata keys, account and owner
    win; what it lacks is taken from the sources, in the order given."""
    source_ids = list(dict.fromkeys(source_ids))
    if not source_ids or len(source_ids) > MAX_MERGE_SOURCES:
        raise ApplicationError(
            "Validation failed",
            details={"sourceLeadIds": [f"Give 1 to {MAX_MERGE_SOURCES} lead ids."]},
        )
    if target_id in source_ids:
        raise ApplicationError(
            "Validation failed",
            details={"sourceLeadIds": ["Must not contain targetLeadId."]},
        )
    return atomic_retrying_conflicts(
        partial(_merge_locked, ou=ou, target_id=target_id, source_ids=source_ids)
    )


def _merge_locked(*, ou: OrgUnit, target_id: str, source_ids: list[str]) -> MergeResult:
    """The merge's transaction, in the lock order of lead_locks: the leads, their scoring
    states, then their events (a batch scoring them is waited for)."""
    leads = {
        lead.lead_id: lead
        for lead in leads_visible(ou=ou)
        .filter(lead_id__in=[target_id, *source_ids])
        .order_by("id")
        .select_for_update(no_key=True)
    }
    if len(leads) != len(source_ids) + 1:
        raise NotFoundError()
    merged = sorted(lead_id for lead_id, lead in leads.items() if lead.merged_into_id)
    if merged:
        raise ConflictError(
            "Leads that were already merged cannot take part in a merge",
            details={"leads": merged},
        )
    target = leads[target_id]
    sources = [leads[lead_id] for lead_id in source_ids]
    scoring_states_lock(lead_pks=[lead.pk for lead in leads.values()])
    moved = (
        EngagementEvent.objects.unscoped()
        .filter(lead__in=sources)
        .update(original_lead=Coalesce(F("original_lead"), F("lead")), lead=target)
    )
    # (unit, kind, normalized_value) is unique, so no source alias duplicates one of the
    # target's: every alias can move.
    LeadAlias.objects.unscoped().filter(lead__in=sources).update(lead=target)
    Order.objects.unscoped().filter(lead__in=sources).update(lead=target)
    now = timezone.now()
    Lead.objects.unscoped().filter(merged_into__in=sources).update(
        merged_into=target, updated_at=now
    )
    Lead.objects.unscoped().filter(id__in=[source.id for source in sources]).update(
        merged_into=target, updated_at=now
    )
    metadata_changed = _fill_gaps(target, sources)
    # The target's score is the replay of all its events, the moved ones included; the
    # sources keep no scores of their own.
    leads_replay(unit_id=target.unit_id, lead_pks=[target.id], dropped=[s.id for s in sources])
    lead_profile_merged(target, sources)
    LEADS_MERGED.publish(
        LeadsMerged(
            unit_id=target.unit_id,
            target_pk=target.pk,
            source_pks=tuple(source.pk for source in sources),
            target_metadata_changed=metadata_changed,
        )
    )
    return MergeResult(target=target, sources=sources, moved_events=moved)


def _fill_gaps(target: Lead, sources: list[Lead]) -> bool:
    """Returns whether the target's metadata changed (its profile is rescored then)."""
    metadata = dict(target.metadata)
    for source in sources:
        for key, value in source.metadata.items():
            metadata.setdefault(key, value)
    changed = ["metadata"] if metadata != target.metadata else []
    target.metadata = metadata
    for relation in ("account", "owner"):
        if getattr(target, f"{relation}_id") is None:
            taken = next((s for s in sources if getattr(s, f"{relation}_id") is not None), None)
            if taken is not None:
                setattr(target, f"{relation}_id", getattr(taken, f"{relation}_id"))
                changed.append(relation)
    target.save(update_fields=[*changed, "updated_at"])
    if "metadata" in changed:
        lead_profile_changed(target)
    return "metadata" in changed


def lead_deletion_request(*, ou: OrgUnit, lead_id: str) -> LeadDeletion:
    """Record the deletion (pending) and enqueue it after commit. Asking again while one is
    pending or running answers that one."""
    with transaction.atomic():
        lead = Lead.objects.for_ou(ou).select_for_update().filter(lead_id=lead_id).first()
        if lead is None:
            raise NotFoundError()
        deletion = (
            LeadDeletion.objects.for_ou(ou)
            .filter(lead_id=lead_id, status__in=DELETION_IN_PROGRESS)
            .order_by("-id")
            .first()
        )
        if deletion is None:
            deletion = LeadDeletion.objects.create(org_id=ou.org_id, unit=ou, lead_id=lead_id)
            job_enqueue(deletion)
    return deletion


class LeadDeletionHandler(JobHandler[LeadDeletion]):
    """The deletion in one transaction that also checks the claim: a failure rolls the work
    back and records `failed` (the lead is readable again and may be deleted anew)."""

    kind = "lead_deletion"
    model = LeadDeletion

    def run(self, job: LeadDeletion, heartbeat: Heartbeat) -> None:
        atomic_retrying_conflicts(partial(_deletion_run, job, heartbeat))


def _deletion_run(job: LeadDeletion, heartbeat: Heartbeat) -> None:
    heartbeat()
    _lead_data_delete(unit_id=job.unit_id, lead_id=job.lead_id)


def _lead_data_delete(*, unit_id: str, lead_id: str) -> None:
    lead = Lead.objects.for_ou(unit_id).filter(lead_id=lead_id).values_list("pk", flat=True)
    leads_data_delete(unit_id=unit_id, lead_pks=list(lead))


def leads_data_delete(*, unit_id: str, lead_pks: list[int]) -> dict[str, int]:
    """Delete the OU's leads with their events, aliases and orders, in the lock order of
    lead_locks: the leads, the scoring states, then the events. The leads merged into them
    hold no data of their own (the merge moved it): they are deleted without being locked
    first. Returns how many leads, events, aliases and orders went."""
    doomed = list(
        Lead.objects.for_ou(unit_id)
        .select_for_update()
        .filter(pk__in=lead_pks)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not doomed:
        return {"leads": 0, "events": 0, "aliases": 0, "orders": 0}
    doomed += Lead.objects.unscoped().filter(merged_into__in=doomed).values_list("id", flat=True)
    scoring_states_lock(lead_pks=doomed)
    LEADS_DELETING.publish(LeadsDeleting(unit_id=unit_id, lead_pks=tuple(doomed)))
    return {
        "events": _deleted(EngagementEvent.objects.unscoped().filter(lead__in=doomed)),
        "aliases": _deleted(LeadAlias.objects.unscoped().filter(lead__in=doomed)),
        "orders": _deleted(Order.objects.unscoped().filter(lead__in=doomed)),
        "leads": _deleted(Lead.objects.unscoped().filter(id__in=doomed)),
    }


def _deleted(rows: QuerySet) -> int:
    """Delete `rows`; how many of them (not of the rows their deletion cascaded to) went."""
    return rows.delete()[1].get(rows.model._meta.label, 0)
