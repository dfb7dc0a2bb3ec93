"""Lead identity: resolving events to leads through aliases, and lead writes."""

import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from leadvibe.exceptions import ConflictError, NotFoundError
from orgunits.models import OrgUnit
from scoring.models import Account, Lead, LeadAlias
from scoring.normalize import normalize_alias


@dataclass(frozen=True)
class AliasInput:
    kind: str
    raw_value: str

    @property
    def normalized(self) -> str:
        return normalize_alias(self.kind, self.raw_value)


@dataclass
class LeadResolution:
    lead: Lead
    created: bool
    # Aliases sent with the event that already name another lead: reported, never merged.
    alias_conflicts: list[dict] = field(default_factory=list)


def new_lead_id() -> str:
    return f"ld_{secrets.token_hex(10)}"


def unique_aliases(aliases: list[AliasInput]) -> list[AliasInput]:
    """Aliases with an empty normal form dropped and duplicates removed, first one kept."""
    seen, result = set(), []
    for alias in aliases:
        key = (alias.kind, alias.normalized)
        if alias.normalized and key not in seen:
            seen.add(key)
            result.append(alias)
    return result


def lead_resolve(*, ou: OrgUnit, lead_id: str | None, aliases: list[AliasInput]) -> LeadResolution:
    """The lead an event belongs to (architecture.md §7), creating it when nothing matches.

    Must run inside a transaction: a concurrent request that creates the same alias first
    makes this one retry against the lead it created.
    """
    aliases = unique_aliases(aliases)
    if lead_id is not None:
        lead = Lead.objects.for_ou(ou).filter(lead_id=lead_id).first()
        if lead is None:
            raise NotFoundError(f"Lead {lead_id!r} not found")
        conflicts = _attach_aliases(ou=ou, lead=lead, aliases=aliases)
        if conflicts:
            raise ConflictError(
                "An alias sent with lead_id belongs to another lead",
                details={"aliases": [f"{c['alias_kind']}:{c['value']}" for c in conflicts]},
            )
        return LeadResolution(lead=lead, created=False)
    if not aliases:
        raise ValueError("an event needs lead_id or at least one alias")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _resolve_by_aliases(ou=ou, aliases=aliases)
        except IntegrityError:
            continue  # another request created one of these aliases just now: look again
    raise ConflictError("Could not resolve the lead: concurrent updates to its aliases")


def _resolve_by_aliases(*, ou: OrgUnit, aliases: list[AliasInput]) -> LeadResolution:
    existing = _existing_aliases(ou=ou, aliases=aliases)
    by_priority = sorted(
        (alias for alias in aliases if (alias.kind, alias.normalized) in existing),
        key=lambda alias: LeadAlias.PRIORITY.index(alias.kind),
    )
    if by_priority:
        winner = by_priority[0]
        lead = Lead.objects.get(id=existing[(winner.kind, winner.normalized)])
        created = False
    else:
        lead = Lead.objects.create(org_id=ou.org_id, unit=ou, lead_id=new_lead_id())
        created = True
    conflicts = [
        _conflict(alias, existing[(alias.kind, alias.normalized)])
        for alias in aliases
        if (alias.kind, alias.normalized) in existing
        and existing[(alias.kind, alias.normalized)] != lead.id
    ]
    new = [a for a in aliases if (a.kind, a.normalized) not in existing]
    LeadAlias.objects.bulk_create([_alias_row(ou=ou, lead=lead, alias=alias) for alias in new])
    return LeadResolution(lead=lead, created=created, alias_conflicts=conflicts)


def _existing_aliases(*, ou: OrgUnit, aliases: list[AliasInput]) -> dict[tuple[str, str], int]:
    if not aliases:
        return {}
    rows = LeadAlias.objects.for_ou(ou).filter(
        normalized_value__in={alias.normalized for alias in aliases},
        kind__in={alias.kind for alias in aliases},
    )
    wanted = {(alias.kind, alias.normalized) for alias in aliases}
    return {
        (kind, value): lead_pk
        for kind, value, lead_pk in rows.values_list("kind", "normalized_value", "lead_id")
        if (kind, value) in wanted
    }


def _conflict(alias: AliasInput, lead_pk: int) -> dict:
    other = Lead.objects.only("lead_id").get(id=lead_pk)
    return {"alias_kind": alias.kind, "value": alias.normalized, "lead_id": other.lead_id}


def _alias_row(*, ou: OrgUnit, lead: Lead, alias: AliasInput) -> LeadAlias:
    return LeadAlias(
        org_id=ou.org_id,
        unit=ou,
        lead=lead,
        kind=alias.kind,
        raw_value=alias.raw_value.strip(),
        normalized_value=alias.normalized,
    )


def _attach_aliases(*, ou: OrgUnit, lead: Lead, aliases: list[AliasInput]) -> list[dict]:
    """Attach new aliases to `lead`; return those that belong to another lead."""
    existing = _existing_aliases(ou=ou, aliases=aliases)
    conflicts = [
        _conflict(alias, existing[(alias.kind, alias.normalized)])
        for alias in aliases
        if existing.get((alias.kind, alias.normalized), lead.id) != lead.id
    ]
    if not conflicts:
        new = [a for a in aliases if (a.kind, a.normalized) not in existing]
        LeadAlias.objects.bulk_create(
            [_alias_row(ou=ou, lead=lead, alias=alias) for alias in new],
            ignore_conflicts=True,
        )
    return conflicts


def lead_create(
    *, ou: OrgUnit, lead_id: str, metadata: dict, account_id: str | None = None
) -> Lead:
    account = account_get_or_create(ou=ou, account_id=account_id) if account_id else None
    try:
        with transaction.atomic():
            return Lead.objects.create(
                org_id=ou.org_id, unit=ou, lead_id=lead_id, metadata=metadata, account=account
            )
    except IntegrityError as exc:
        raise ConflictError(f"Lead {lead_id!r} already exists") from exc


def account_get_or_create(*, ou: OrgUnit, account_id: str) -> Account:
    account, _ = Account.objects.get_or_create(
        unit=ou, account_id=account_id, defaults={"org_id": ou.org_id}
    )
    return account
