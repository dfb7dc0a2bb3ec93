"""Storing checked events: lead resolution (architecture.md §7) and the writes, in bulk.

`POST /events` (one event), `POST /events/batch` and each CSV chunk all go through
`events_store`, so they resolve leads the same way: as if the events arrived one by one, in
order, but with a handful of statements whatever their number:

- a query for the idempotency keys sent, one for the lead ids sent, one per alias kind;
- one insert of the new leads, one of the new aliases (ON CONFLICT DO NOTHING: an alias
  another transaction took meanwhile is noticed, and the whole store is run again);
- one insert of the events (RETURNING their ids) or, for CSV, a COPY.

Resolution: a `lead_id` names the lead (a merged lead's events go to the lead it was merged
into; a lead being deleted is not found), and the aliases sent with it join that lead unless
another lead holds one (refused, 409). Without a `lead_id` the held aliases are ranked by
`LeadAlias.PRIORITY` and the first one's lead takes the event; the others are reported as
`alias_conflicts`, never merged. With no held alias a new lead is created. New aliases join
the event's lead.
"""

import contextlib
import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction

from leadvibe.db import lost_lock_conflict
from leadvibe.exceptions import ApplicationError, ConflictError, NotFoundError
from leadvibe.sql import advisory_xact_lock
from orgunits.models import OrgUnit
from scoring.models import EngagementEvent, Lead, LeadAlias, LeadDeletion
from scoring.services.leads import new_lead_id

# A store that lost a race (an alias or idempotency key taken meanwhile, a lead deleted
# meanwhile, a deadlock) is rolled back and run again; the next run sees the winner's rows.
# Runs after the first hold the OU's advisory lock, so that retries do not race each other.
STORE_ATTEMPTS = 4
_LOCK_NAMESPACE = 0x1E7B

Result = TypeVar("Result")


@dataclass(slots=True)
class PreparedEvent:
    """An event that passed every check that needs no database (events.event_prepare)."""

    # The caller's name for it: the index in a batch, the row number in a CSV file.
    position: int
    event_type: str
    occurred_at: datetime.datetime | None
    lead_id: str | None
    # (kind, raw value as stored, normalized value), in LeadAlias.PRIORITY order.
    aliases: list[tuple[str, str, str]]
    metadata: dict
    metadata_json: str
    channel: str
    source: str
    idempotency_key: str | None = None

    def body_hash(self) -> str:
        """SHA-256 of the event as its fields mean it (the instant in UTC, normalized aliases,
        metadata with sorted keys): a repeat of its idempotency key must send the same."""
        occurred_at = self.occurred_at.astimezone(datetime.UTC) if self.occurred_at else None
        canonical = json.dumps(
            {
                "event_type": self.event_type,
                "lead_id": self.lead_id,
                "timestamp": occurred_at.isoformat() if occurred_at else None,
                "aliases": [[kind, value] for kind, _, value in self.aliases],
                "metadata": self.metadata,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(slots=True)
class StoredEvent:
    prepared: PreparedEvent
    # None for events stored by COPY (their ids are not read back).
    seq: int | None
    lead_id: str
    created_lead: bool = False
    # True when the idempotency key was used before with the same body: `seq`, `lead_id` and
    # `metadata` are the first event's, and nothing was stored.
    duplicate: bool = False
    metadata: dict = field(default_factory=dict)
    alias_conflicts: list[dict] = field(default_factory=list)

    @property
    def public_id(self) -> str:
        return f"{EngagementEvent.ID_PREFIX}{self.seq}"


@dataclass(slots=True)
class RefusedEvent:
    prepared: PreparedEvent
    field: str
    error: ApplicationError


class _AliasTaken(Exception):
    """Another transaction inserted one of the new aliases after they were looked up."""


def run_retrying_races(ou: OrgUnit, store: Callable[[], Result]) -> Result:
    """`store()`, run again when it lost a race; 409 if it keeps losing. The first run makes
    its own transaction (`events_store` opens one only where it needs one); later runs are
    in a transaction that holds the OU's advisory lock."""
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            if attempt == 1:
                return store()
            with transaction.atomic():
                advisory_xact_lock(namespace=_LOCK_NAMESPACE, key=ou.id)
                return store()
        except (IntegrityError, OperationalError, _AliasTaken) as exc:
            if not _is_race(exc):
                raise
    raise ConflictError("Concurrent requests changed the same leads; send the request again.")


def _is_race(exc: Exception) -> bool:
    return isinstance(exc, IntegrityError | _AliasTaken) or lost_lock_conflict(exc)


@dataclass(eq=False, slots=True)
class _Lead:
    """A lead as this store sees it; `pk` is None until a new lead is inserted."""

    pk: int | None
    lead_id: str
    created: bool = False


def events_store(
    *, ou: OrgUnit, events: list[PreparedEvent], now: datetime.datetime, copy: bool = False
) -> tuple[list[StoredEvent], list[RefusedEvent]]:
    """Resolve and store `events` in the caller's transaction (see the module's docstring).
    Returns the stored events and idempotent repeats, in the order given, and the refused
    ones. Raises a race error for `run_retrying_races` to handle."""
    earlier = _idempotent_matches(ou, {e.idempotency_key for e in events if e.idempotency_key})
    by_pk: dict[int, _Lead] = {}
    leads = _leads_by_client_id(ou, {e.lead_id for e in events if e.lead_id}, by_pk)
    owners = _alias_owners(ou, events, by_pk)
    new_leads: list[_Lead] = []
    new_aliases: list[tuple[_Lead, str, str, str]] = []
    results: list[StoredEvent] = []
    to_insert: list[tuple[StoredEvent, _Lead]] = []
    # Repeats of a key first sent in this call, with the result they repeat.
    repeats: list[tuple[StoredEvent, StoredEvent]] = []
    first_with_key: dict[str, StoredEvent] = {}
    # Repeats of a key first sent in this call with another body, with that first use.
    reused_keys: list[tuple[PreparedEvent, StoredEvent]] = []
    refused: list[RefusedEvent] = []
    for event in events:
        key = event.idempotency_key
        if key in earlier:
            seq, lead_id, metadata_json, body_hash = earlier[key]
            # Events stored before body hashes were kept (NULL) are taken as the same body.
            if body_hash is not None and body_hash != event.body_hash():
                refused.append(_key_reused(event, seq))
                continue
            results.append(StoredEvent(event, seq, lead_id, False, True, json.loads(metadata_json)))
            continue
        if key in first_with_key:
            if first_with_key[key].prepared.body_hash() != event.body_hash():
                reused_keys.append((event, first_with_key[key]))
                continue
            repeat = StoredEvent(event, None, "", duplicate=True)
            repeats.append((repeat, first_with_key[key]))
            results.append(repeat)
            continue
        created = False
        if event.lead_id is not None:
            lead = leads.get(event.lead_id)
            if lead is None:
                refused.append(_lead_not_found(event))
                continue
            taken = [(k, v) for k, _, v in event.aliases if owners.get((k, v), lead) is not lead]
            if taken:
                refused.append(_aliases_taken(event, taken))
                continue
        else:
            lead = next((owners[(k, v)] for k, _, v in event.aliases if (k, v) in owners), None)
            if lead is None:
                lead, created = _Lead(None, new_lead_id()), True
                new_leads.append(lead)
        conflicts = [
            {"alias_kind": k, "value": v, "lead_id": owners[(k, v)].lead_id}
            for k, _, v in event.aliases
            if owners.get((k, v), lead) is not lead
        ]
        for kind, raw, value in event.aliases:
            if (kind, value) not in owners:
                owners[(kind, value)] = lead
                new_aliases.append((lead, kind, raw, value))
        stored = StoredEvent(event, None, lead.lead_id, created, False, event.metadata, conflicts)
        results.append(stored)
        to_insert.append((stored, lead))
        if key:
            first_with_key[key] = stored
    with _atomic_unless_single(bool(new_leads) + bool(new_aliases) + bool(to_insert)):
        _leads_insert(ou, new_leads, now)
        _aliases_insert(ou, new_aliases, now)
        if copy:
            _events_copy(ou, to_insert, now)
        else:
            _events_insert(ou, to_insert, now)
    for repeat, first in repeats:
        repeat.seq, repeat.lead_id, repeat.metadata = first.seq, first.lead_id, first.metadata
    refused.extend(_key_reused(event, first.seq) for event, first in reused_keys)
    return results, refused


def _atomic_unless_single(statements: int):
    """A transaction where one is needed. One statement in autocommit mode is atomic by
    itself, and saves the BEGIN and COMMIT round trips (the usual case: a known lead's
    event). The reads before it need none: each statement sees what was committed when it
    started, inside a transaction or not (READ COMMITTED)."""
    if statements <= 1 and not connection.in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def _lead_not_found(event: PreparedEvent) -> RefusedEvent:
    return RefusedEvent(event, "lead_id", NotFoundError(f"Lead {event.lead_id!r} not found"))


def _aliases_taken(event: PreparedEvent, taken: list[tuple[str, str]]) -> RefusedEvent:
    error = ConflictError(
        "An alias sent with lead_id belongs to another lead",
        details={"aliases": [f"{kind}:{value}" for kind, value in taken]},
    )
    return RefusedEvent(event, taken[0][0], error)


def _key_reused(event: PreparedEvent, seq: int | None) -> RefusedEvent:
    event_id = f"{EngagementEvent.ID_PREFIX}{seq}"
    error = ConflictError(
        f"The idempotency key was used for event {event_id} with a different body",
        details={
            "idempotency_key": [
                f"Already used for {event_id} with a different body: send the same body to "
                "get that answer again, or use a new key."
            ],
            "event_id": [event_id],
        },
    )
    return RefusedEvent(event, "idempotency_key", error)


def _idempotent_matches(ou: OrgUnit, keys: set[str]) -> dict[str, tuple[int, str, str, str | None]]:
    """`{key: (event seq, lead id, metadata JSON, body hash)}` of the keys used before."""
    if not keys:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.idempotency_key, e.seq, l.lead_id, e.metadata::text, "  # noqa: S608
            " e.idempotency_hash "
            f"FROM {EngagementEvent._meta.db_table} e "
            f"JOIN {Lead._meta.db_table} l ON l.id = e.lead_id "
            "WHERE e.unit_id = %s AND e.idempotency_key = ANY(%s)",
            [ou.id, list(keys)],
        )
        return {key: tuple(match) for key, *match in cursor}


def _leads_by_client_id(ou: OrgUnit, lead_ids: set[str], by_pk: dict) -> dict[str, _Lead]:
    """`{lead id sent: lead the events go to}`: a merged lead's target; leads being deleted
    are left out."""
    if not lead_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.lead_id, coalesce(t.id, l.id), coalesce(t.lead_id, l.lead_id) "  # noqa: S608
            f"FROM {Lead._meta.db_table} l "
            f"LEFT JOIN {Lead._meta.db_table} t ON t.id = l.merged_into_id "
            "WHERE l.unit_id = %s AND l.lead_id = ANY(%s) AND NOT EXISTS ("
            f"  SELECT 1 FROM {LeadDeletion._meta.db_table} d "
            "   WHERE d.unit_id = l.unit_id AND d.lead_id = l.lead_id AND d.status = ANY(%s))",
            [ou.id, list(lead_ids), _DELETION_IN_PROGRESS],
        )
        return {sent: by_pk.setdefault(pk, _Lead(pk, lead_id)) for sent, pk, lead_id in cursor}


_DELETION_IN_PROGRESS = [LeadDeletion.Status.PENDING.value, LeadDeletion.Status.RUNNING.value]


def _alias_owners(
    ou: OrgUnit, events: list[PreparedEvent], by_pk: dict
) -> dict[tuple[str, str], _Lead]:
    """`{(kind, normalized value): lead}` of the aliases sent that exist, a query per kind
    (each an index scan of `alias_unique_per_ou`)."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        for kind, _, value in event.aliases:
            wanted.setdefault(kind, set()).add(value)
    owners = {}
    with connection.cursor() as cursor:
        for kind, values in wanted.items():
            cursor.execute(
                "SELECT a.normalized_value, l.id, l.lead_id "  # noqa: S608 - tables are ours
                f"FROM {LeadAlias._meta.db_table} a "
                f"JOIN {Lead._meta.db_table} l ON l.id = a.lead_id "
                "WHERE a.unit_id = %s AND a.kind = %s AND a.normalized_value = ANY(%s)",
                [ou.id, kind, list(values)],
            )
            for value, pk, lead_id in cursor:
                owners[(kind, value)] = by_pk.setdefault(pk, _Lead(pk, lead_id))
    return owners


def _leads_insert(ou: OrgUnit, leads: list[_Lead], now: datetime.datetime) -> None:
    if not leads:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Lead._meta.db_table} "  # noqa: S608 - table name is ours
            "(org_id, unit_id, lead_id, metadata, created_at, updated_at) "
            "SELECT %s, %s, lead_id, '{}', %s, %s FROM unnest(%s::text[]) AS lead_id "
            "RETURNING id, lead_id",
            [ou.org_id, ou.id, now, now, [lead.lead_id for lead in leads]],
        )
        pks = {lead_id: pk for pk, lead_id in cursor.fetchall()}
    for lead in leads:
        lead.pk = pks[lead.lead_id]


def _aliases_insert(
    ou: OrgUnit, aliases: list[tuple[_Lead, str, str, str]], now: datetime.datetime
) -> None:
    if not aliases:
        return
    # One order for every writer keeps concurrent stores from deadlocking on the index.
    aliases = sorted(aliases, key=lambda alias: (alias[1], alias[3]))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {LeadAlias._meta.db_table} "  # noqa: S608 - table name is ours
            "(org_id, unit_id, lead_id, kind, raw_value, normalized_value, created_at) "
            "SELECT %s, %s, a.lead, a.kind, a.raw, a.value, %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) "
            "WITH ORDINALITY AS a(lead, kind, raw, value, n) ORDER BY a.n "
            "ON CONFLICT DO NOTHING",
            [
                ou.org_id,
                ou.id,
                now,
                [lead.pk for lead, *_ in aliases],
                [kind for _, kind, _, _ in aliases],
                [raw for _, _, raw, _ in aliases],
                [value for *_, value in aliases],
            ],
        )
        if cursor.rowcount != len(aliases):
            raise _AliasTaken()


_EVENT_TABLE = EngagementEvent._meta.db_table
_PENDING = EngagementEvent.Status.PENDING.value


def _event_values(stored: StoredEvent, lead: _Lead, now: datetime.datetime) -> tuple[Any, ...]:
    """An event's own columns: lead_id, event_type, occurred_at, channel, metadata, source,
    idempotency_key and idempotency_hash."""
    event = stored.prepared
    return (
        lead.pk,
        event.event_type,
        event.occurred_at or now,
        event.channel,
        event.metadata_json,
        event.source,
        event.idempotency_key,
        event.body_hash() if event.idempotency_key else None,
    )


def _events_insert(
    ou: OrgUnit, events: list[tuple[StoredEvent, _Lead]], now: datetime.datetime
) -> None:
    """One INSERT ... RETURNING; the ids come back in the order of the rows selected (the
    order Django's bulk_create relies on too)."""
    if not events:
        return
    columns: list[list[Any]] = [[] for _ in range(8)]
    for stored, lead in events:
        for column, value in zip(columns, _event_values(stored, lead, now), strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_EVENT_TABLE} "  # noqa: S608 - table name is ours
            "(org_id, unit_id, received_at, status, lead_id, event_type, occurred_at, channel, "
            " metadata, source, idempotency_key, idempotency_hash) "
            "SELECT %s, %s, %s, %s, e.lead, e.type, e.at, e.channel, e.metadata::jsonb, "
            " e.source, e.key, e.hash "
            "FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::text[], %s::text[], "
            " %s::text[], %s::text[], %s::text[]) "
            "WITH ORDINALITY AS e(lead, type, at, channel, metadata, source, key, hash, n) "
            "ORDER BY e.n RETURNING seq",
            [ou.org_id, ou.id, now, _PENDING, *columns],
        )
        for (stored, _), (seq,) in zip(events, cursor.fetchall(), strict=True):
            stored.seq = seq


_COPY_COLUMNS = (
    "org_id, unit_id, received_at, status, lead_id, event_type, occurred_at, channel, "
    "metadata, source, idempotency_key, idempotency_hash"
)


def _events_copy(
    ou: OrgUnit, events: list[tuple[StoredEvent, _Lead]], now: datetime.datetime
) -> None:
    """COPY: the fastest way in for many rows (CSV import), ids not read back."""
    if not events:
        return
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(f"COPY {_EVENT_TABLE} ({_COPY_COLUMNS}) FROM STDIN") as copy,
    ):
        for stored, lead in events:
            copy.write_row((ou.org_id, ou.id, now, _PENDING, *_event_values(stored, lead, now)))
