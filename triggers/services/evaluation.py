"""Trigger evaluation inside the scoring pipeline (architecture.md §5), subscribed to scoring's
extension points (`scoring.extension_points`) as "triggers": after a batch is scored
(SCORED_BATCH), in the same transaction, each lead's scored events go through
`triggers.engine.evaluate` with the lead's stored trigger state; what they emit becomes
`Firing` rows and, for each destination, `Delivery` rows (the outbox), sent after commit.

A lead's trigger state lives in its scoring-state row (`hook_state["triggers"]`), which the
scoring stage holds locked and writes after its subscribers: no statement of its own, and never
evaluated by two workers at once. A replayed lead (a late event) is evaluated again
from an empty state over its whole history, and only the batch's own events may fire: an
event already processed never fires again, even when the late one shifts a window. Firings
are also unique per (trigger, lead, kind, occurrence), so a `once` trigger fires once.

A decay sweep chunk (DECAY_APPLIED) records a `milestone_exited` for each lead its decays took
from at or above a milestone to below it. Segment triggers are not evaluated here: they fire on
membership changes (triggers.services.segment_firings), from the compiled `segment_triggers`.
Scoring's tables are read through scoring's selectors and payloads only, never by name.
"""

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import connection, transaction

from leadvibe.live import publish_live_events_of_units
from leadvibe.queueing import send_task_or_leave_to_sweep
from leadvibe.sql import jsonb_loaded, rows_upsert
from orgunits.models import OrgUnit
from scoring.extension_points import DecayApplied, ScoredBatch
from scoring.models import Ruleset
from scoring.selectors.events import processed_events_received_at
from scoring.selectors.leads import lead_public_ids
from scoring.services.engine_config import (
    ConfigVersionCache,
    config_versions,
    from_us,
    to_us,
)
from triggers import engine
from triggers.models import Delivery, Firing, Trigger
from triggers.services.lead_filters import lead_passes_filters

SECOND_US = 1_000_000


@dataclass(frozen=True)
class TriggerTarget:
    """What the pipeline needs of a trigger beyond its engine definition."""

    id: int
    destinations: tuple[tuple[str, str, str], ...]  # (channel, target, target kind)
    lead_attribute_filters: tuple = ()
    profile_filters: tuple = ()


@dataclass(frozen=True)
class SegmentTrigger:
    """A segment trigger as membership changes need it."""

    id: int
    on_entry: bool  # fires when the lead enters the segment; False: when it leaves
    always: bool
    cooldown: datetime.timedelta
    created_at: datetime.datetime  # earlier changes do not concern it


@dataclass(frozen=True)
class UnitTriggers:
    org_id: str
    triggers: engine.TriggerSet
    primary_ruleset_id: int | None
    targets: dict[int, TriggerTarget]
    # Active segment triggers by segment key.
    segment_triggers: dict[int, tuple[SegmentTrigger, ...]] = field(default_factory=dict)


def unit_triggers(unit_ids: Iterable[str]) -> dict[str, UnitTriggers]:
    """Each OU's active triggers, compiled once per configuration version (trigger writes
    bump the scoring configuration version)."""
    unit_ids = set(unit_ids)
    return _unit_triggers.current(unit_ids, config_versions(unit_ids))


def load_unit_triggers(unit_id: str) -> UnitTriggers:
    rows = list(Trigger.objects.for_ou(unit_id).filter(active=True).order_by("id"))
    segment_triggers: dict[int, list[SegmentTrigger]] = defaultdict(list)
    for row in rows:
        if row.kind == Trigger.Kind.SEGMENT:
            segment_triggers[row.segment_id].append(
                SegmentTrigger(
                    id=row.id,
                    on_entry=row.segment_direction == Trigger.SegmentDirection.ENTER,
                    always=row.fire_mode == Trigger.FireMode.ALWAYS,
                    cooldown=datetime.timedelta(seconds=row.cooldown_seconds),
                    created_at=row.created_at,
                )
            )
    return UnitTriggers(
        org_id=OrgUnit.objects.values_list("org_id", flat=True).get(pk=unit_id),
        triggers=engine_triggers(row for row in rows if row.kind != Trigger.Kind.SEGMENT),
        primary_ruleset_id=Ruleset.objects.for_ou(unit_id)
        .filter(is_primary=True)
        .values_list("id", flat=True)
        .first(),
        targets={row.id: trigger_target(row) for row in rows},
        segment_triggers={pk: tuple(triggers) for pk, triggers in segment_triggers.items()},
    )


def engine_triggers(rows: Iterable[Trigger], *, since_creation: bool = True) -> engine.TriggerSet:
    """`since_creation`: a trigger concerns only events received since it was created (the
    pipeline); off, every event (simulate: what would it have done)."""
    by_kind: dict[str, list] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(
            engine_trigger(row, since=to_us(row.created_at) if since_creation else 0)
        )
    return engine.TriggerSet(
        milestones=tuple(by_kind[Trigger.Kind.MILESTONE]),
        sequences=tuple(by_kind[Trigger.Kind.SEQUENCE]),
        patterns=tuple(by_kind[Trigger.Kind.PATTERN]),
        surges=tuple(by_kind[Trigger.Kind.SURGE]),
    )


def engine_trigger(row: Trigger, *, since: int):
    window_us = (row.window_seconds or 0) * SECOND_US
    always = row.fire_mode == Trigger.FireMode.ALWAYS
    match row.kind:
        case Trigger.Kind.MILESTONE:
            return engine.Milestone(
                id=row.id,
                threshold=row.score_threshold,
                event_type=row.event_type or None,
                always=always,
                cooldown_us=row.cooldown_seconds * SECOND_US,
                since=since,
            )
        case Trigger.Kind.SEQUENCE:
            return engine.Sequence(
                id=row.id,
                steps=tuple(row.event_steps),
                window_us=window_us,
                ordered=row.ordered,
                always=always,
                has_lead_filters=bool(row.lead_attribute_filters or row.profile_filters),
                since=since,
            )
        case Trigger.Kind.PATTERN:
            return engine.Pattern(
                id=row.id,
                conditions=tuple(
                    engine.PatternCondition(
                        event_type=c["event_type"],
                        min_count=int(c.get("min_count") or 1),
                        metadata=c.get("metadata") or {},
                    )
                    for c in row.conditions
                ),
                window_us=window_us,
                since=since,
            )
        case _:
            return engine.Surge(
                id=row.id,
                threshold=row.threshold_count,
                window_us=window_us,
                event_type=row.event_type or None,
                since=since,
            )


def trigger_target(row: Trigger) -> TriggerTarget:
    destinations: list[tuple[str, str, str]] = []
    if row.webhook_url and row.webhook_disabled_at is None:
        destinations.append((Delivery.Channel.WEBHOOK, row.webhook_url, ""))
    destinations += [(Delivery.Channel.EMAIL, address, "") for address in row.emails]
    if row.slack_target_kind:
        destinations.append((Delivery.Channel.SLACK, row.slack_target_id, row.slack_target_kind))
    if row.teams_target_id:
        destinations.append((Delivery.Channel.TEAMS, row.teams_target_id, row.teams_target_kind))
    return TriggerTarget(
        id=row.id,
        destinations=tuple(destinations),
        lead_attribute_filters=tuple(row.lead_attribute_filters),
        profile_filters=tuple(row.profile_filters),
    )


def trigger_events(
    scored_events,
    outcomes,
    primary_ruleset_id: int | None,
    final_score: int,
    received: dict[int, int] | None = None,
) -> tuple[list[engine.TriggerEvent], dict[int, int]]:
    """The engine's view of scored events (what counts, what may fire, how each moved the
    primary score, when it was received: `received` by seq), and the primary score after
    each event by seq."""
    events = []
    befores = []  # the primary score before each event that moved it, DECAY included
    for event, outcome in zip(scored_events, outcomes, strict=True):
        before = after = None
        for score in outcome.scores:
            if score.ruleset_id == primary_ruleset_id:
                before = score.before if before is None else before
                after = score.after
        befores.append(before)
        events.append(
            engine.TriggerEvent(
                seq=event.seq,
                event_type=event.event_type,
                occurred_at=event.occurred_at,
                metadata=event.metadata,
                counts=not event.system
                and outcome.scope != "observe"
                and outcome.suppression_reason is None,
                fires=not event.system and outcome.fires_triggers,
                score_before=None if event.system else before,
                score_after=None if event.system else after,
                received_at=received.get(event.seq) if received is not None else None,
            )
        )
    scores_after = {}
    score = final_score
    for event, before in zip(reversed(events), reversed(befores), strict=True):
        scores_after[event.seq] = score
        if before is not None:
            score = before
    return events, scores_after


def evaluate_lead_events(
    state: dict, events: list[engine.TriggerEvent], compiled: UnitTriggers, lead_pk: int
) -> list[tuple[engine.Emission, engine.TriggerEvent]]:
    def lead_passes(sequence: engine.Sequence) -> bool:
        target = compiled.targets[sequence.id]
        return lead_passes_filters(lead_pk, target.lead_attribute_filters, target.profile_filters)

    emitted = []
    for event in events:
        for emission in engine.evaluate(state, event, compiled.triggers, lead_passes):
            emitted.append((emission, event))
    return emitted


def evaluate_scored_leads(batch: ScoredBatch) -> None:
    """SCORED_BATCH: evaluate the batch's leads and write firings and deliveries."""
    compiled = unit_triggers({lead.unit_id for lead in batch.leads})
    leads = [lead for lead in batch.leads if compiled[lead.unit_id].triggers]
    if not leads:
        return
    replayed = [lead.lead_pk for lead in leads if lead.replayed]
    replayed_received = processed_events_received_at(lead_pks=replayed) if replayed else {}
    firings = []
    for lead in leads:
        unit = compiled[lead.unit_id]
        state = lead.hook_state.setdefault("triggers", {})
        received = {seq: to_us(event.received_at) for seq, event in lead.events.items()}
        if lead.replayed:
            received.update((seq, to_us(at)) for seq, at in replayed_received[lead.lead_pk].items())
        events, scores_after = trigger_events(
            lead.scored_events,
            lead.outcomes,
            unit.primary_ruleset_id,
            lead.state.scores.get(unit.primary_ruleset_id, 0),
            received,
        )
        for emission, event in evaluate_lead_events(state, events, unit, lead.lead_pk):
            if emission.seq not in lead.events:
                continue  # a replayed event already processed had its chance to fire
            source = lead.events[emission.seq]
            firings.append(
                {
                    "org": unit.org_id,
                    "unit": lead.unit_id,
                    "trigger": emission.trigger_id,
                    "lead": lead.lead_pk,
                    "kind": emission.kind,
                    "occurrence": emission.occurrence,
                    "seq": emission.seq,
                    "event_type": event.event_type,
                    "channel": source.channel,
                    "score": scores_after[event.seq],
                    "occurred_at": source.occurred_at.isoformat(),
                    "received_at": source.received_at.isoformat(),
                    "payload": dict(emission.detail),
                }
            )
    if firings:
        write_firings(
            firings,
            lead_ids={lead.lead_pk: lead.lead_id for lead in leads},
            targets={tid: t for lead in leads for tid, t in compiled[lead.unit_id].targets.items()},
        )


# Returns the columns `write_firings` reads, in order.
_INSERT_FIRINGS = f"""
INSERT INTO {Firing._meta.db_table} (
    org_id, unit_id, trigger_id, lead_id, kind, occurrence, event_seq, event_type, channel, score,
    occurred_at, event_received_at, payload, created_at)
SELECT v.org, v.unit, v.trigger, v.lead, v.kind, v.occurrence, v.seq, v.event_type, v.channel,
       v.score, v.occurred_at, coalesce(v.received_at, now()), v.payload, now()
FROM jsonb_to_recordset(%s::jsonb) AS v(org varchar, unit varchar, trigger bigint, lead bigint,
                                        kind varchar, occurrence bigint, seq bigint,
                                        event_type varchar, channel varchar, score integer,
                                        occurred_at timestamptz, received_at timestamptz,
                                        payload jsonb)
ORDER BY v.trigger, v.lead, v.kind, v.occurrence
ON CONFLICT (trigger_id, lead_id, kind, occurrence) DO NOTHING
RETURNING id, trigger_id, unit_id, org_id, kind, lead_id, event_type, channel, occurred_at,
          payload
"""  # noqa: S608 - our table

# Which firings notify: a lead dropping below a milestone is recorded and streamed only.
_NOTIFYING = {
    engine.MILESTONE,
    engine.SEQUENCE,
    engine.PATTERN,
    engine.SURGE,
    Firing.Kind.SEGMENT_ENTERED,
    Firing.Kind.SEGMENT_EXITED,
}


def write_firings(
    rows: list[dict], *, lead_ids: Mapping[int, str], targets: Mapping[int, TriggerTarget]
) -> None:
    """Insert the firings (rows of `_INSERT_FIRINGS`) that are new, their deliveries, and
    stream them after commit. `lead_ids`: the leads' public ids by primary key."""
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_FIRINGS, [json.dumps(rows)])
        inserted = cursor.fetchall()
    if not inserted:
        return
    deliveries = []
    live_events: dict[str, list] = defaultdict(list)
    for row in inserted:
        firing_id, trigger_id, unit_id, org_id, kind, lead_pk, event_type, channel = row[:8]
        occurred_at, payload = row[8:]
        lead_id = lead_ids[lead_pk]
        if kind == engine.MILESTONE_EXITED:
            detail = jsonb_loaded(payload)
            live_events[unit_id].append(
                milestone_exited_event(
                    firing_id, trigger_id, lead_id, detail["score"], detail["threshold"],
                    occurred_at,
                )
            )  # fmt: skip
        if kind == engine.SURGE:
            live_events[unit_id].append(
                (
                    "surge",
                    {
                        "surge_id": firing_id,
                        "trigger_id": _public_trigger_id(trigger_id),
                        "lead_id": lead_id,
                        "event_type": event_type,
                        "channel": channel,
                        "count": jsonb_loaded(payload).get("count"),
                        "occurred_at": occurred_at.isoformat(),
                    },
                )
            )
        if kind not in _NOTIFYING:
            continue
        deliveries += [
            {
                "org_id": org_id,
                "unit_id": unit_id,
                "firing_id": firing_id,
                "channel": channel,
                "target": address,
                "target_kind": target_kind,
                "status": Delivery.Status.PENDING,
                "attempts": 0,
                "last_error": "",
            }
            for channel, address, target_kind in targets[trigger_id].destinations
        ]
    rows_upsert(Delivery, rows=deliveries, now={"next_attempt_at", "created_at", "updated_at"})
    transaction.on_commit(lambda: _after_commit(bool(deliveries), live_events))


def _after_commit(has_deliveries: bool, live_events: dict[str, list]) -> None:
    if has_deliveries:
        send_task_or_leave_to_sweep("triggers.tasks.deliver_due_task", args=[], operation="deliver")
    publish_live_events_of_units(live_events)


def _public_trigger_id(trigger_pk: int) -> str:
    return f"{Trigger.ID_PREFIX}{trigger_pk}"


def milestone_exited_event(firing_id, trigger_pk, lead_id, score, threshold, occurred_at):
    return (
        "milestone_exited",
        {
            "firing_id": firing_id,
            "trigger_id": _public_trigger_id(trigger_pk),
            "lead_id": lead_id,
            "score": score,
            "threshold": threshold,
            "occurred_at": occurred_at.isoformat(),
        },
    )


def record_decay_exits(applied: DecayApplied) -> None:
    """DECAY_APPLIED: a lead the chunk's decays took from at or above a milestone to below it
    gets a `milestone_exited` record, as a scored event's drop would."""
    if applied.primary_ruleset_id is None:
        return
    unit = unit_triggers({applied.unit_id})[applied.unit_id]
    exits = [
        {
            "org": applied.org_id,
            "unit": applied.unit_id,
            "trigger": milestone.id,
            "lead": lead.lead_pk,
            "kind": engine.MILESTONE_EXITED,
            "occurrence": lead.last_event_seq,
            "seq": lead.last_event_seq,
            "event_type": "DECAY",
            "channel": "system",
            "score": lead.score_after,
            "occurred_at": from_us(lead.last_event_at_us).isoformat(),
            "received_at": None,
            "payload": {"threshold": milestone.threshold, "score": lead.score_after},
        }
        for milestone in unit.triggers.milestones
        for lead in applied.leads
        if lead.score_before >= milestone.threshold > lead.score_after
    ]
    if exits:
        write_firings(
            exits,
            lead_ids=lead_public_ids(lead_pks=sorted({row["lead"] for row in exits})),
            targets=unit.targets,
        )


_unit_triggers = ConfigVersionCache(load_unit_triggers)
