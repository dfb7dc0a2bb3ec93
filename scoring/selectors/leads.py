"""Reads of leads: one lead, lists with each lead's last activity, search, deletion status.

A lead answers 404 from the moment its deletion is accepted (pending or running). A merged
lead stays readable by id, so `merged_into` tells clients where it went, but lists and search
leave it out.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.ingestion.normalize import normalize_alias
from scoring.models import Lead, LeadAlias, LeadDeletion, LeadScore

DELETION_IN_PROGRESS = (LeadDeletion.Status.PENDING, LeadDeletion.Status.RUNNING)
SEARCH_LIMIT = 10
# Alias rows read per search: a lead has a handful of aliases, so this yields 10 leads.
SEARCH_ALIAS_SCAN = 100
# What a person types when looking for a phone number: digits and the usual separators.
_PHONE_QUERY = re.compile(r"\+?[\d\s().-]+")


def leads_visible(*, ou: OrgUnit) -> QuerySet[Lead]:
    """The OU's leads, without those being deleted."""
    being_deleted = LeadDeletion.objects.for_ou(ou).filter(
        lead_id=OuterRef("lead_id"), status__in=DELETION_IN_PROGRESS
    )
    return Lead.objects.for_ou(ou).filter(~Exists(being_deleted))


def lead_get(*, ou: OrgUnit, lead_id: str) -> Lead:
    """The lead with its account, owner and merge target loaded; NotFoundError otherwise."""
    lead = (
        leads_visible(ou=ou)
        .select_related("account", "owner", "merged_into")
        .filter(lead_id=lead_id)
        .first()
    )
    if lead is None:
        raise NotFoundError()
    return lead


def lead_aliases(*, ou: OrgUnit, lead_id: str) -> list[LeadAlias]:
    lead = lead_get(ou=ou, lead_id=lead_id)
    return list(lead.aliases.order_by("created_at", "id"))


@dataclass(frozen=True)
class LeadMatch:
    lead: Lead
    matched_by: str  # "id" or the alias kind
    matched_value: str


def leads_search(*, ou: OrgUnit, query: str, limit: int = SEARCH_LIMIT) -> list[LeadMatch]:
    """Up to `limit` unmerged leads whose id starts with `query` (by id), then those with an
    alias whose normal form starts with it (by alias value)."""
    leads = leads_visible(ou=ou).filter(merged_into__isnull=True)
    matches = [
        LeadMatch(lead, "id", lead.lead_id)
        for lead in leads.filter(lead_id__startswith=query).order_by("lead_id")[:limit]
    ]
    if len(matches) == limit:
        return matches
    hits = (
        LeadAlias.objects.for_ou(ou)
        .filter(_alias_prefix(query))
        .exclude(lead__in=[match.lead.id for match in matches])
        .order_by("normalized_value", "id")
        .values_list("lead", "kind", "normalized_value")[:SEARCH_ALIAS_SCAN]
    )
    first_hit: dict[int, tuple[str, str]] = {}
    for lead_pk, kind, value in hits:
        first_hit.setdefault(lead_pk, (kind, value))
    found = leads.in_bulk(list(first_hit))
    for lead_pk, (kind, value) in first_hit.items():
        if lead_pk in found and len(matches) < limit:
            matches.append(LeadMatch(found[lead_pk], kind, value))
    return matches


def _alias_prefix(query: str) -> Q:
    """Alias values starting with `query` as stored (emails are stored lower-case, so they
    match case-insensitively; a phone-like query also matches the phone's normal form)."""
    condition = Q(normalized_value__startswith=query) | Q(
        kind=LeadAlias.Kind.EMAIL, normalized_value__startswith=query.lower()
    )
    phone = normalize_alias(LeadAlias.Kind.PHONE, query)
    if _PHONE_QUERY.fullmatch(query) and len(phone) > 2:
        condition |= Q(kind=LeadAlias.Kind.PHONE, normalized_value__startswith=phone)
    return condition


def lead_deletion_latest(*, ou: OrgUnit, lead_id: str) -> LeadDeletion:
    deletion = LeadDeletion.objects.for_ou(ou).filter(lead_id=lead_id).order_by("-id").first()
    if deletion is None:
        raise NotFoundError()
    return deletion


def lead_public_ids(*, lead_pks: Sequence[int]) -> dict[int, str]:
    """The public ids of leads the caller already holds by primary key (workers)."""
    return dict(Lead.objects.unscoped().filter(id__in=lead_pks).values_list("id", "lead_id"))


def lead_scores_in_ruleset(*, ruleset_id: int, lead_pks: Sequence[int]) -> dict[int, int]:
    """The leads' scores in the ruleset, by primary key (0 for a lead without a stored one)."""
    stored = dict(
        LeadScore.objects.unscoped()
        .filter(ruleset_id=ruleset_id, lead_id__in=lead_pks)
        .values_list("lead_id", "score")
    )
    return {lead_pk: stored.get(lead_pk, 0) for lead_pk in lead_pks}
