"""Lead identity: resolving events to leads through aliases, and lead writes."""

import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction

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


@dataclass(frozen=True)
class LeadRef:
    """The two ids of a lead: the row's key (events reference it) and the client's id."""

    pk: int
    lead_id: str


@dataclass
class LeadResolution:
    lead: LeadRef
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

    Runs inside the caller's transaction without savepoints: inserts use ON CONFLICT DO
    NOTHING, so a concurrent request that takes an alias first is noticed, not raised.
    """
    aliases = unique_aliases(aliases)
    if lead_id is not None:
        return _resolve_by_id(ou=ou, lead_id=lead_id, aliases=aliases)
    if not aliases:
        raise ValueError("an event needs lead_id or at least one alias")
    for _attempt in range(3):
        resolution = _resolve_by_aliases(ou=ou, aliases=aliases)
        if resolution is not None:
            return resolution
    raise ConflictError("Could not resolve the lead: concurrent updates to its aliases")


def _resolve_by_id(*, ou: OrgUnit, lead_id: str, aliases: list[AliasInput]) -> LeadResolution:
    row = Lead.objects.for_ou(ou).filter(lead_id=lead_id).values_list("id", flat=True).first()
    if row is None:
        raise NotFoundError(f"Lead {lead_id!r} not found")
    lead = LeadRef(row, lead_id)
    existing = _existing_aliases(ou=ou, aliases=aliases)
    taken = [a for a in aliases if _key(a) in existing and existing[_key(a)][0] != lead.pk]
    if not taken:
        new = [a for a in aliases if _key(a) not in existing]
        taken = _insert_aliases(ou=ou, lead=lead, aliases=new)
    if taken:
        raise ConflictError(
            "An alias sent with lead_id belongs to another lead",
            details={"aliases": [f"{a.kind}:{a.normalized}" for a in taken]},
        )
    return LeadResolution(lead=lead, created=False)


def _resolve_by_aliases(*, ou: OrgUnit, aliases: list[AliasInput]) -> LeadResolution | None:
    """None when a concurrent request took one of the new aliases first: try again."""
    existing = _existing_aliases(ou=ou, aliases=aliases)
    matched = sorted(
        (alias for alias in aliases if _key(alias) in existing),
        key=lambda alias: LeadAlias.PRIORITY.index(alias.kind),
    )
    if matched:
        lead = LeadRef(*existing[_key(matched[0])])
        created = False
    else:
        row = Lead.objects.create(org_id=ou.org_id, unit=ou, lead_id=new_lead_id())
        lead, created = LeadRef(row.id, row.lead_id), True
    conflicts = [
        _conflict(alias, existing[_key(alias)][1])
        for alias in matched
        if existing[_key(alias)][0] != lead.pk
    ]
    lost = _insert_aliases(
        ou=ou, lead=lead, aliases=[a for a in aliases if _key(a) not in existing]
    )
    if lost:
        if created:
            Lead.objects.filter(id=lead.pk).delete()
            return None
        now_taken = _existing_aliases(ou=ou, aliases=lost)
        conflicts += [_conflict(alias, now_taken[_key(alias)][1]) for alias in lost]
    return LeadResolution(lead=lead, created=created, alias_conflicts=conflicts)


def _key(alias: AliasInput) -> tuple[str, str]:
    return alias.kind, alias.normalized


def _existing_aliases(
    *, ou: OrgUnit, aliases: list[AliasInput]
) -> dict[tuple[str, str], tuple[int, str]]:
    """`{(kind, normalized value): (lead pk, lead id)}` of the aliases that exist, one query."""
    if not aliases:
        return {}
    rows = LeadAlias.objects.for_ou(ou).filter(
        normalized_value__in={alias.normalized for alias in aliases},
        kind__in={alias.kind for alias in aliases},
    )
    wanted = {_key(alias) for alias in aliases}
    return {
        (kind, value): (lead_pk, lead_id)
        for kind, value, lead_pk, lead_id in rows.values_list(
            "kind", "normalized_value", "lead_id", "lead__lead_id"
        )
        if (kind, value) in wanted
    }


def _conflict(alias: AliasInput, other_lead_id: str) -> dict:
    return {"alias_kind": alias.kind, "value": alias.normalized, "lead_id": other_lead_id}


def _insert_aliases(*, ou: OrgUnit, lead: LeadRef, aliases: list[AliasInput]) -> list[AliasInput]:
    """Insert the aliases for `lead`; return those another lead holds (inserted meanwhile)."""
    if not aliases:
        return []
    values = []
    for alias in aliases:
        values += [ou.org_id, ou.id, lead.pk, alias.kind, alias.raw_value.strip(), alias.normalized]
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, now())"] * len(aliases))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LeadAlias._meta.db_table} "  # noqa: S608 - table name is ours
            "(org_id, unit_id, lead_id, kind, raw_value, normalized_value, created_at) "
            f"VALUES {placeholders} ON CONFLICT DO NOTHING RETURNING kind, normalized_value",
            values,
        )
        inserted = set(cursor.fetchall())
    return [alias for alias in aliases if _key(alias) not in inserted]


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
