"""Profile (fit) and account scores and field mappings (architecture.md §4.8, §4.9): keeping the
stored scores equal to the engine's `profile_scores` of the current metadata and rules.

When scores are recomputed:
- a lead's metadata changes (PUT, PATCH, a merge): that lead (`lead_profile_changed`);
- a batch is scored (`batch_fit_scores_update`, called by the scoring stage): the active
  mappings of each lead's unsuppressed, non-observe events of the batch are applied in
  `(occurred_at, seq)` order to the lead's metadata and to its account's, then the changed
  leads and accounts, and those of the batch that have no score yet, are rescored; one
  statement writes all the batch's metadata;
- the rules of a ruleset change (`fit_scores_recompute`, in the change's transaction, in
  chunks of leads or accounts);
- `/admin/apply-profile-mappings` and the account backfill apply the mappings to stored
  events, a chunk per transaction: `leads_mappings_apply` (profile mappings; with account
  links for the backfill: a lead without an account joins the one its latest event names in
  `metadata.accountId`) and `accounts_mappings_apply` (account mappings from the events of the
  account's leads, in scoring order across them).

Consistency with concurrent configuration writes: a configuration write holds the OU's
configuration-version row lock until it commits (scoring_config.py); every recompute here
takes that row FOR SHARE first, so it runs wholly before or wholly after a write, with the
configuration it committed. Lock order: version row, then leads (id order), then accounts
(id order), then score rows. A scored batch already holds its leads (claimed with its
events, lead_locks) when it takes the version row.

Leads and accounts are locked FOR NO KEY UPDATE: their metadata changes, their keys do not,
so events and leads stored meanwhile (which only check the keys) are not held up.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from leadvibe.sql import jsonb_loaded, rows_upsert
from orgunits.models import OrgUnit
from scoring.engine.profile import FieldMapping, apply_field_mappings, profile_scores
from scoring.extension_points import LEAD_METADATA_CHANGED, LeadMetadataChanged, ScoredLead
from scoring.fit.selectors import ACCOUNT, PROFILE, FitConfig, FitKind, fit_config_load
from scoring.models import (
    Account,
    EngagementEvent,
    EventTypeSetting,
    Lead,
    ScoringConfigVersion,
)
from scoring.services.engine_config import ConfigVersionCache

RECOMPUTE_CHUNK = 2000
APPLY_CHUNK = 200
NO_MAPPING_SCOPE = EventTypeSetting.Scope.OBSERVE
SYSTEM_SOURCE = EngagementEvent.Source.SYSTEM

_fit_configs = ConfigVersionCache(fit_config_load)


def fit_configs(unit_ids: Iterable[str]) -> dict[str, FitConfig]:
    """Each OU's configuration, from this process's cache when its version is unchanged.
    Takes the OUs' version rows FOR SHARE (see the module docstring)."""
    unit_ids = sorted(set(unit_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id, version FROM {ScoringConfigVersion._meta.db_table} "  # noqa: S608
            "WHERE unit_id = ANY(%s) ORDER BY unit_id FOR SHARE",
            [unit_ids],
        )
        versions = dict(cursor.fetchall())
    return _fit_configs.current(unit_ids, versions)


# --- Writing scores -------------------------------------------------------------------------


def _scores_upsert(
    kind: FitKind, rows: Iterable[tuple[int, int, str, int]], *, overwrite: bool = True
) -> int:
    """Upsert `(subject pk, ruleset pk, unit id, score)` rows in one statement (in key order,
    so concurrent writers lock rows in the same order); returns how many changed. Without
    `overwrite`, only missing scores are written: for scores computed from metadata read
    without a lock, which a concurrent writer holding the lock may be replacing."""
    column = kind.subject_column
    return rows_upsert(
        kind.score_model,
        rows=[
            {column: pk, "ruleset_id": ruleset_pk, "unit_id": unit_id, "score": score}
            for pk, ruleset_pk, unit_id, score in rows
        ],
        conflict=[column, "ruleset_id"],
        update=["score", "updated_at"] if overwrite else [],
        only_changed=True,
        now={"updated_at"},
    )


def _scored_rows(
    config: FitConfig, kind: FitKind, subjects: Iterable[tuple[int, str, dict]]
) -> list[tuple[int, int, str, int]]:
    rulesets = config.rulesets(kind)
    if not rulesets:
        return []
    return [
        (pk, ruleset_pk, unit_id, score)
        for pk, unit_id, metadata in subjects
        for ruleset_pk, score in profile_scores(metadata, rulesets).items()
    ]


def _metadata_write(kind: FitKind, metadata: dict[int, dict]) -> None:
    """One statement for all the changed metadata of leads (accounts)."""
    if not metadata:
        return
    table = kind.subject_model._meta.db_table
    pks = sorted(metadata)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS s SET metadata = v.metadata, updated_at = now() "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::jsonb[]) AS v(pk, metadata) WHERE s.id = v.pk",
            [pks, [json.dumps(metadata[pk]) for pk in pks]],
        )


def _loaded(value: object) -> dict:
    """Metadata read through a raw cursor; anything but an object reads as none."""
    value = jsonb_loaded(value)
    return value if isinstance(value, dict) else {}


# --- A lead's metadata changed, a merge, a scored batch -------------------------------------


def lead_profile_changed(lead: Lead) -> None:
    """Rescore the lead's profile (PUT, PATCH and merges of lead metadata)."""
    config = fit_configs([lead.unit_id])[lead.unit_id]
    _scores_upsert(PROFILE, _scored_rows(config, PROFILE, [(lead.pk, lead.unit_id, lead.metadata)]))


def lead_profile_created(lead: Lead) -> None:
    """A new lead's first profile scores (leads created through the API with metadata)."""
    lead_profile_changed(lead)


def lead_profile_merged(target: Lead, sources: list[Lead]) -> None:
    """Merged leads keep no profile scores of their own (the merge rescored the target's
    profile if it changed the target's metadata)."""
    PROFILE.score_model.objects.unscoped().filter(
        lead__in=[source.pk for source in sources]
    ).delete()


def _events_to_map(scored_lead: ScoredLead, config: FitConfig) -> list[EngagementEvent]:
    """The batch's events of the lead that apply mappings: scored unsuppressed (also after a
    later event of the batch grouped them), not observe-only, not system events, carrying a
    mapped field; in scoring order."""
    fields = config.mapped_fields
    if not fields:
        return []
    outcomes = {o.seq: o for o in scored_lead.outcomes if o.seq in scored_lead.events}
    regrouped = {seq for o in scored_lead.outcomes for seq in o.regrouped_seqs}
    events = [
        event
        for seq, event in scored_lead.events.items()
        if seq in outcomes
        and outcomes[seq].suppression_reason is None
        and outcomes[seq].scope != NO_MAPPING_SCOPE
        and seq not in regrouped
        and event.source != SYSTEM_SOURCE
        and isinstance(event.metadata, dict)
        and not fields.isdisjoint(event.metadata)
    ]
    return sorted(events, key=lambda event: (event.occurred_at, event.seq))


def batch_fit_scores_update(scored: Sequence[ScoredLead]) -> frozenset[int]:
    """After a batch is scored, inside its transaction: apply field mappings and rescore
    profiles and accounts (see the module docstring). Returns the leads whose metadata the
    mappings changed."""
    if not scored:
        return frozenset()
    configs = fit_configs({s.unit_id for s in scored})
    to_map = {}
    for s in scored:
        events = _events_to_map(s, configs[s.unit_id])
        if events:
            to_map[s.lead_pk] = events
    lead_metadata: dict[int, dict] = {}
    lead_units: dict[int, str] = {}
    account_events: dict[int, list[EngagementEvent]] = defaultdict(list)
    if to_map:
        for pk, unit_id, metadata, account_pk in _leads_locked(sorted(to_map)):
            config = configs[unit_id]
            events = to_map[pk]
            updated = _mapped(metadata, events, config.lead_mappings)
            if updated != metadata:
                lead_metadata[pk] = updated
                lead_units[pk] = unit_id
            if account_pk is not None and config.account_mappings:
                account_events[account_pk].extend(events)
    account_metadata, account_units = _accounts_mapped(account_events, configs)
    _metadata_write(PROFILE, lead_metadata)
    _metadata_write(ACCOUNT, account_metadata)
    batch_leads = [s.lead_pk for s in scored]
    for kind, metadata, units in (
        (PROFILE, lead_metadata, lead_units),
        (ACCOUNT, account_metadata, account_units),
    ):
        changed = [(pk, units[pk], values) for pk, values in metadata.items()]
        _scores_upsert(kind, _rows_by_unit(configs, kind, changed))
        unscored = _unscored(kind, batch_leads, configs, exclude=metadata)
        _scores_upsert(kind, _rows_by_unit(configs, kind, unscored), overwrite=False)
    return frozenset(lead_metadata)


def _rows_by_unit(
    configs: dict[str, FitConfig], kind: FitKind, subjects: Iterable[tuple[int, str, dict]]
) -> list[tuple[int, int, str, int]]:
    return [
        row
        for pk, unit_id, metadata in subjects
        for row in _scored_rows(configs[unit_id], kind, [(pk, unit_id, metadata)])
    ]


def _mapped(metadata: dict, events: Iterable["EngagementEvent | _StoredEvent"], mappings) -> dict:
    for event in events:
        updated = apply_field_mappings(metadata, event.metadata, mappings)
        if updated is not None:
            metadata = updated
    return metadata


def _leads_locked(lead_pks: list[int]) -> list[tuple[int, str, dict, int | None]]:
    """The batch's leads, whose locks it holds since its claim."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, unit_id, metadata, account_id FROM {Lead._meta.db_table} "  # noqa: S608
            "WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
            [lead_pks],
        )
        return [(pk, unit, _loaded(meta), account) for pk, unit, meta, account in cursor]


def _accounts_mapped(
    account_events: dict[int, list[EngagementEvent]], configs: dict[str, FitConfig]
) -> tuple[dict[int, dict], dict[int, str]]:
    """Apply account mappings of the events of each account's leads, in scoring order across
    the leads; the accounts are locked first, in id order."""
    if not account_events:
        return {}, {}
    changed, units = {}, {}
    locked = (
        Account.objects.unscoped()
        .filter(pk__in=list(account_events))
        .order_by("id")
        .select_for_update(no_key=True)
        .values_list("id", "unit_id", "metadata")
    )
    for pk, unit_id, metadata in locked:
        events = sorted(account_events[pk], key=lambda event: (event.occurred_at, event.seq))
        metadata = _loaded(metadata)
        updated = _mapped(metadata, events, configs[unit_id].account_mappings)
        if updated != metadata:
            changed[pk], units[pk] = updated, unit_id
    return changed, units


def _unscored(
    kind: FitKind, lead_pks: list[int], configs: dict[str, FitConfig], *, exclude: dict
) -> list[tuple[int, str, dict]]:
    """The batch's leads (or their accounts) that lack a score in an enabled ruleset of their
    OU: leads created by ingestion get their first profile score with their first events."""
    units = [unit_id for unit_id, config in configs.items() if config.rulesets(kind)]
    if not units:
        return []
    scores = kind.score_model._meta.db_table
    rulesets = kind.ruleset_model._meta.db_table
    leads = Lead._meta.db_table
    subjects = kind.subject_model._meta.db_table
    if kind is PROFILE:
        candidates = "s.id = ANY(%s) AND s.merged_into_id IS NULL"
    else:
        candidates = f"s.id IN (SELECT account_id FROM {leads} WHERE id = ANY(%s))"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id, s.unit_id, s.metadata FROM {subjects} AS s "  # noqa: S608
            f"WHERE {candidates} AND s.unit_id = ANY(%s) AND EXISTS ("
            f"SELECT 1 FROM {rulesets} AS r WHERE r.unit_id = s.unit_id AND r.enabled "
            f"AND NOT EXISTS (SELECT 1 FROM {scores} AS x "
            f"WHERE x.{kind.subject_column} = s.id AND x.ruleset_id = r.id))",
            [lead_pks, units],
        )
        return [
            (pk, unit_id, _loaded(metadata))
            for pk, unit_id, metadata in cursor.fetchall()
            if pk not in exclude
        ]


# --- Recomputing an OU ----------------------------------------------------------------------


# The part of `s.metadata` whose top-level keys are in the list given as parameter: rules
# and mappings read only those, so chunks stay small whatever else leads carry.
_SUBSET_SQL = (
    "(SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) FROM jsonb_each("
    "CASE WHEN jsonb_typeof(s.metadata) = 'object' THEN s.metadata ELSE '{}'::jsonb END) "
    "AS e(key, value) WHERE e.key = ANY(%s::text[]))"
)


def fit_scores_recompute(
    *, ou: OrgUnit, kind: FitKind, ruleset_ids: Iterable[int] | None = None
) -> int:
    """Recompute the OU's scores in the given enabled rulesets (all when None) from every
    lead's (account's) metadata, in chunks; returns how many scores changed. Called inside a
    configuration write's transaction, so it sees the write's rules."""
    config = fit_config_load(ou.pk)
    wanted = None if ruleset_ids is None else set(ruleset_ids)
    rulesets = tuple(r for r in config.rulesets(kind) if wanted is None or r.id in wanted)
    if not rulesets:
        return 0
    keys = sorted(
        {rule.property for r in rulesets for rule in r.rules}
        | {rule.property.split(".")[0] for r in rulesets for rule in r.rules}
    )
    table = kind.subject_model._meta.db_table
    unmerged = " AND s.merged_into_id IS NULL" if kind is PROFILE else ""
    changed, last = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.id, {_SUBSET_SQL} FROM {table} AS s "  # noqa: S608
                f"WHERE s.unit_id = %s AND s.id > %s{unmerged} ORDER BY s.id LIMIT %s",
                [keys, ou.pk, last, RECOMPUTE_CHUNK],
            )
            chunk = [(pk, _loaded(subset)) for pk, subset in cursor.fetchall()]
        if not chunk:
            return changed
        changed += _scores_upsert(
            kind,
            [
                (pk, ruleset_pk, ou.pk, score)
                for pk, subset in chunk
                for ruleset_pk, score in profile_scores(subset, rulesets).items()
            ],
        )
        last = chunk[-1][0]


def fit_scores_drop(*, kind: FitKind, ruleset_pk: int) -> None:
    """A disabled ruleset keeps no scores."""
    kind.score_model.objects.unscoped().filter(ruleset_id=ruleset_pk).delete()


# --- Applying the mappings to stored events (apply-profile-mappings, the account backfill) ---


@dataclass(frozen=True)
class MappingsApplied:
    leads_processed: int
    leads_updated: int
    profile_scores_updated: int
    accounts_linked: int = 0
    accounts_created: int = 0


def profile_mappings_apply(*, ou: OrgUnit) -> MappingsApplied:
    """Apply the OU's active profile mappings to every unmerged lead (`leads_mappings_apply`,
    one transaction per chunk of leads); running it again changes nothing."""
    processed = updated = rescored = last = 0
    while chunk := list(
        Lead.objects.for_ou(ou)
        .filter(merged_into__isnull=True, id__gt=last)
        .order_by("id")
        .values_list("id", flat=True)[:APPLY_CHUNK]
    ):
        with transaction.atomic():
            applied = leads_mappings_apply(unit_id=ou.pk, lead_pks=chunk)
        processed += applied.leads_processed
        updated += applied.leads_updated
        rescored += applied.profile_scores_updated
        last = chunk[-1]
    return MappingsApplied(processed, updated, rescored)


def leads_mappings_apply(
    *, unit_id: str, lead_pks: Sequence[int], link_accounts: bool = False
) -> MappingsApplied:
    """One chunk of leads, in the caller's transaction: the unmerged ones among `lead_pks` are
    locked (after the configuration version row), then
    - with `link_accounts` and ABM, each lead without an account is linked to the account
      its latest mappable event names in `metadata.accountId` (created when new);
    - the active profile mappings are applied to the lead's metadata from its processed,
      unsuppressed, non-system events of types not observe-only, in scoring order;
    - every lead's profile is rescored, and LEAD_METADATA_CHANGED announces the leads whose
      metadata or account changed.
    Idempotent: append keeps one copy of each value, in the order of the last events."""
    config = fit_configs([unit_id])[unit_id]
    leads = list(
        Lead.objects.for_ou(unit_id)
        .filter(pk__in=lead_pks, merged_into__isnull=True)
        .order_by("id")
        .select_for_update(no_key=True)
        .values_list("id", "metadata", "account_id")
    )
    linked: dict[int, int] = {}
    created = 0
    if link_accounts and config.abm:
        linked, created = _accounts_link(unit_id, [pk for pk, _, account in leads if not account])
    events = _stored_events_to_map(unit_id, [pk for pk, _, _ in leads], config.lead_mappings)
    by_lead: dict[int, list[_StoredEvent]] = defaultdict(list)
    for lead_pk, event in events:
        by_lead[lead_pk].append(event)
    changed = {}
    for pk, metadata, _ in leads:
        new = _mapped(metadata, by_lead.get(pk, ()), config.lead_mappings)
        if new != metadata:
            changed[pk] = new
    _metadata_write(PROFILE, changed)
    rescored = _scores_upsert(
        PROFILE,
        _scored_rows(
            config, PROFILE, [(pk, unit_id, changed.get(pk, metadata)) for pk, metadata, _ in leads]
        ),
    )
    touched = sorted(set(changed) | set(linked))
    if touched:
        LEAD_METADATA_CHANGED.publish(
            LeadMetadataChanged(unit_id=unit_id, lead_pks=tuple(touched), cause="mapped")
        )
    return MappingsApplied(len(leads), len(changed), rescored, len(linked), created)


@dataclass(frozen=True)
class AccountsMapped:
    accounts_processed: int
    accounts_updated: int
    account_scores_updated: int


def accounts_mappings_apply(*, unit_id: str, account_pks: Sequence[int]) -> AccountsMapped:
    """One chunk of accounts, in the caller's transaction: the active account mappings are
    applied to each account's metadata from the stored events of its unmerged leads (as
    `leads_mappings_apply` picks them), in scoring order across the leads; every account is
    rescored, and LEAD_METADATA_CHANGED announces the leads of the accounts whose metadata or
    scores changed. Locks: the version row, the accounts' leads (id order), then the accounts
    (id order). Nothing to do without ABM."""
    config = fit_configs([unit_id])[unit_id]
    if not config.abm:
        return AccountsMapped(0, 0, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, account_id FROM {Lead._meta.db_table} "  # noqa: S608
            "WHERE unit_id = %s AND account_id = ANY(%s) AND merged_into_id IS NULL "
            "ORDER BY id FOR NO KEY UPDATE",
            [unit_id, list(account_pks)],
        )
        account_of = dict(cursor.fetchall())
    accounts = list(
        Account.objects.for_ou(unit_id)
        .filter(pk__in=account_pks)
        .order_by("id")
        .select_for_update(no_key=True)
        .values_list("id", "metadata")
    )
    by_account: dict[int, list[_StoredEvent]] = defaultdict(list)
    for lead_pk, event in _stored_events_to_map(
        unit_id, sorted(account_of), config.account_mappings
    ):
        by_account[account_of[lead_pk]].append(event)
    changed = {}
    for pk, metadata in accounts:
        new = _mapped(metadata, by_account.get(pk, ()), config.account_mappings)
        if new != metadata:
            changed[pk] = new
    _metadata_write(ACCOUNT, changed)
    rows = _scored_rows(
        config, ACCOUNT, [(pk, unit_id, changed.get(pk, metadata)) for pk, metadata in accounts]
    )
    stored = set(
        ACCOUNT.score_model.objects.for_ou(unit_id)
        .filter(account_id__in=[pk for pk, _ in accounts])
        .values_list("account_id", "ruleset_id", "score")
    )
    rescored_accounts = {
        pk for pk, ruleset_pk, _, score in rows if (pk, ruleset_pk, score) not in stored
    }
    rescored = _scores_upsert(ACCOUNT, rows)
    touched = set(changed) | rescored_accounts
    leads = sorted(pk for pk, account_pk in account_of.items() if account_pk in touched)
    if leads:
        LEAD_METADATA_CHANGED.publish(
            LeadMetadataChanged(unit_id=unit_id, lead_pks=tuple(leads), cause="mapped")
        )
    return AccountsMapped(len(accounts), len(changed), rescored)


def _mappable_events(unit_id: str, lead_pks: Sequence[int]) -> tuple[str, list]:
    """The condition (on events `s`) and its parameters that pick the leads' events that
    mappings and account links read: processed, unsuppressed, not system events, not of
    observe-only types."""
    sql = (
        "s.lead_id = ANY(%s) AND s.status = %s AND s.suppression_reason IS NULL "  # noqa: S608
        f"AND s.source <> %s AND NOT EXISTS (SELECT 1 FROM {EventTypeSetting._meta.db_table} "
        "AS t WHERE t.unit_id = %s AND t.event_type = s.event_type "
        "AND t.max_processing_scope = %s)"
    )
    params = [list(lead_pks), EngagementEvent.Status.PROCESSED, SYSTEM_SOURCE, unit_id]
    return sql, [*params, NO_MAPPING_SCOPE]


@dataclass(frozen=True)
class _StoredEvent:
    """What mappings read of a stored event: its mapped fields."""

    metadata: dict


def _stored_events_to_map(
    unit_id: str, lead_pks: Sequence[int], mappings: Sequence[FieldMapping]
) -> list[tuple[int, _StoredEvent]]:
    """The leads' mappable events carrying a field the mappings read, as (lead, its mapped
    fields), in scoring order across the leads."""
    fields = sorted({m.source_field for m in mappings})
    if not fields or not lead_pks:
        return []
    mappable, params = _mappable_events(unit_id, lead_pks)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.lead_id, {_SUBSET_SQL} FROM "  # noqa: S608 - our table names
            f"{EngagementEvent._meta.db_table} AS s "
            f"WHERE {mappable} AND s.metadata ?| %s::text[] ORDER BY s.occurred_at, s.seq",
            [fields, *params, fields],
        )
        return [(lead_pk, _StoredEvent(_loaded(subset))) for lead_pk, subset in cursor]


def _accounts_link(unit_id: str, lead_pks: Sequence[int]) -> tuple[dict[int, int], int]:
    """Link each of the (locked, account-less) leads whose mappable events name an account
    (`metadata.accountId`, a non-blank string, the latest event's in scoring order) to that
    account, created when new. Returns {lead: account} linked and how many accounts were
    created."""
    if not lead_pks:
        return {}, 0
    mappable, params = _mappable_events(unit_id, lead_pks)
    key = EngagementEvent.ACCOUNT_ID_KEY
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (s.lead_id) s.lead_id, btrim(s.metadata->>%s) "  # noqa: S608
            f"FROM {EngagementEvent._meta.db_table} AS s WHERE {mappable} "
            "AND jsonb_typeof(s.metadata->%s) = 'string' "
            "AND length(btrim(s.metadata->>%s)) BETWEEN 1 AND %s "
            "ORDER BY s.lead_id, s.occurred_at DESC, s.seq DESC",
            [key, *params, key, key, Account._meta.get_field("account_id").max_length],
        )
        named = dict(cursor.fetchall())
    if not named:
        return {}, 0
    org_id = OrgUnit.objects.filter(pk=unit_id).values_list("org_id", flat=True).get()
    created = rows_upsert(
        Account,
        rows=[
            {"org_id": org_id, "unit_id": unit_id, "account_id": account_id, "name": "",
             "metadata": {}}
            for account_id in sorted(set(named.values()))
        ],
        conflict=["unit_id", "account_id"],
        now={"created_at", "updated_at"},
    )  # fmt: skip
    account_pks = dict(
        Account.objects.for_ou(unit_id)
        .filter(account_id__in=set(named.values()))
        .values_list("account_id", "id")
    )
    linked = {lead_pk: account_pks[account_id] for lead_pk, account_id in named.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Lead._meta.db_table} AS l SET account_id = v.account, "  # noqa: S608
            "updated_at = now() FROM unnest(%s::bigint[], %s::bigint[]) AS v(lead, account) "
            "WHERE l.id = v.lead",
            [list(linked), list(linked.values())],
        )
    return linked, created
