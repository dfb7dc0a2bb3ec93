"""The scoring stage of the pipeline (architecture.md §3): runs on each claimed batch, inside
the claiming transaction, and scores it with the engine.

The batch holds its leads' locks (claimed with its events: lead_locks has the lock order);
their `LeadScoringState` rows are locked in lead-id order. Each lead's events of the batch
are applied in `(occurred_at, seq)` order to the stored state. An event older than the last
one applied to the lead makes the lead replay: its scores are recomputed from all its
processed events with the reference scorer. Writes are set-based: COPY of the event_scores
rows, one upsert of the lead scores, one update of the states and one of the suppression
reasons.

After the scores are written, in the same transaction: profile and account scoring of the
batch (a direct call), then the `SCORED_BATCH` extension point (segments, triggers), then the
states, which carry what the subscribers keep per lead (`hook_state`).
"""

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction

from leadvibe.sql import jsonb_loaded, rows_upsert
from scoring import engine
from scoring.extension_points import SCORED_BATCH, ScoredBatch, ScoredLead
from scoring.fit.services.scores import batch_fit_scores_update
from scoring.models import EngagementEvent, EventScore, LeadScore, LeadScoringState
from scoring.services.engine_config import (
    SQL_TIMESTAMP_FROM_US,
    from_us,
    scoring_configs,
    to_us,
)
from scoring.services.lead_locks import leads_lock
from scoring.services.score_updates import ScoreChange, score_updates_publish

SYSTEM_SOURCE = EngagementEvent.Source.SYSTEM

_EVENTS = EngagementEvent._meta.db_table
_EVENT_SCORES = EventScore._meta.db_table
_LEAD_SCORES = LeadScore._meta.db_table
_STATES = LeadScoringState._meta.db_table


def engine_event(event: EngagementEvent) -> engine.EngineEvent:
    return engine.EngineEvent(
        seq=event.seq,
        event_type=event.event_type,
        occurred_at=to_us(event.occurred_at),
        metadata=event.metadata,
        system=event.source == SYSTEM_SOURCE,
    )


def score_batch(batch: Sequence[EngagementEvent]) -> None:
    with connection.cursor() as cursor:
        # The batch commits without waiting for its WAL flush: a database crash may lose the
        # last batches' commits, and then their events are simply pending again (the claim,
        # the scores and the processed mark are one transaction), never half-scored.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
    by_lead: dict[int, list[EngagementEvent]] = defaultdict(list)
    for event in batch:
        by_lead[event.lead_id].append(event)
    configs = scoring_configs({event.unit_id for event in batch})
    known_rulesets = {
        unit_id: {ruleset.id for ruleset in config.rulesets} for unit_id, config in configs.items()
    }
    lead_units = {lead_pk: events[0].unit_id for lead_pk, events in by_lead.items()}
    stored_states, hook_states = _lock_states(lead_units)
    writes = _Writes()
    scored = []
    changes = []
    for lead_pk in sorted(by_lead):
        unit_id = lead_units[lead_pk]
        config = configs[unit_id]
        events = sorted(by_lead[lead_pk], key=lambda e: (e.occurred_at, e.seq))
        incoming = [engine_event(event) for event in events]
        state = engine.LeadState.from_json(stored_states.get(lead_pk))
        stored_scores = dict(state.scores)
        replay = state.last_key is not None and incoming[0].order_key < tuple(state.last_key)
        if replay:
            # The batch's events are still pending: the history is the others.
            history = sorted(
                [*processed_histories([lead_pk]).get(lead_pk, []), *incoming],
                key=lambda event: event.order_key,
            )
            state, outcomes = engine.score_stream(history, config)
            times = {event.seq: from_us(event.occurred_at) for event in history}
        else:
            outcomes = [engine.score_event(state, event, config) for event in incoming]
            # A stored state may still hold scores of rulesets deleted since.
            state.scores = {k: v for k, v in state.scores.items() if k in known_rulesets[unit_id]}
            times = {event.seq: event.occurred_at for event in events}
        hook_state = {} if replay else hook_states.get(lead_pk, {})
        writes.add(
            lead_pk, unit_id, state, outcomes, times, replay=replay, stored_scores=stored_scores,
            hook_state=hook_state,
        )  # fmt: skip
        changes.append(ScoreChange(unit_id, lead_pk, stored_scores, state.scores))
        scored.append(
            ScoredLead(
                lead_pk=lead_pk,
                lead_id=events[0].lead_public_id,
                unit_id=unit_id,
                scores_before=stored_scores,
                state=state,
                outcomes=tuple(outcomes),
                scored_events=tuple(history if replay else incoming),
                events={e.seq: e for e in events},
                replayed=replay,
                hook_state=hook_state,
            )
        )
    writes.flush()
    remapped = batch_fit_scores_update(scored)
    SCORED_BATCH.publish(ScoredBatch(leads=tuple(scored), remapped_lead_pks=remapped))
    writes.flush_states()
    transaction.on_commit(partial(score_updates_publish, changes), robust=True)


def leads_replay(*, unit_id: str, lead_pks: list[int], dropped: Sequence[int] = ()) -> None:
    """Recompute the leads' scores from all their processed events under the OU's current
    configuration (a merge, a rescore). `dropped` leads lose their scores and state. Waits
    for the leads (in the lock order of lead_locks)."""
    leads_lock(lead_pks=[*lead_pks, *dropped])
    config = scoring_configs({unit_id})[unit_id]
    stored_states, _ = _lock_states(dict.fromkeys([*lead_pks, *dropped], unit_id))
    histories = processed_histories(lead_pks)
    writes = _Writes(replayed=list(dropped))
    changes = []
    for lead_pk in sorted(lead_pks):
        history = histories.get(lead_pk, [])
        state, outcomes = engine.score_stream(history, config)
        times = {event.seq: from_us(event.occurred_at) for event in history}
        writes.add(lead_pk, unit_id, state, outcomes, times, replay=True)
        stored_scores = engine.LeadState.from_json(stored_states.get(lead_pk)).scores
        if state.scores != stored_scores:
            changes.append(ScoreChange(unit_id, lead_pk, stored_scores, state.scores))
    writes.flush()
    writes.flush_states()
    if dropped:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {_STATES} WHERE lead_id = ANY(%s)",  # noqa: S608 - our table
                [list(dropped)],
            )
    transaction.on_commit(partial(score_updates_publish, changes), robust=True)


def processed_histories(lead_pks: list[int]) -> dict[int, list[engine.EngineEvent]]:
    rows = (
        EngagementEvent.objects.unscoped()
        .filter(lead_id__in=lead_pks, status=EngagementEvent.Status.PROCESSED)
        .order_by("lead_id", "occurred_at", "seq")
        .only("seq", "lead_id", "event_type", "occurred_at", "metadata", "source")
    )
    histories: dict[int, list[engine.EngineEvent]] = defaultdict(list)
    for event in rows.iterator(chunk_size=5000):
        histories[event.lead_id].append(engine_event(event))
    return histories


def _lock_states(lead_units: dict[int, str]) -> tuple[dict[int, dict], dict[int, dict]]:
    """Locks the leads' state rows (made when missing), in lead order; their scoring states
    and hook states."""
    lead_pks = sorted(lead_units)
    rows_upsert(
        LeadScoringState,
        rows=[{"lead_id": pk, "unit_id": lead_units[pk], "state": {}} for pk in lead_pks],
        conflict=["lead_id"],
        now={"updated_at"},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT lead_id, state, hook_state FROM {_STATES} "  # noqa: S608 - our table
            "WHERE lead_id = ANY(%s) ORDER BY lead_id FOR UPDATE",
            [lead_pks],
        )
        rows = cursor.fetchall()
    states = {lead_pk: jsonb_loaded(state) for lead_pk, state, _ in rows}
    hook_states = {lead_pk: jsonb_loaded(hooks) for lead_pk, _, hooks in rows if hooks is not None}
    return states, hook_states


@dataclass
class _Writes:
    score_rows: list[tuple] = field(default_factory=list)
    lead_scores: list[dict] = field(default_factory=list)
    states: list[dict] = field(default_factory=list)
    reasons: dict[int, str | None] = field(default_factory=dict)
    replayed: list[int] = field(default_factory=list)

    def add(
        self,
        lead_pk,
        unit_id,
        state,
        outcomes,
        times,
        *,
        replay: bool,
        stored_scores=None,
        hook_state: dict | None = None,
    ) -> None:
        stored_scores = stored_scores or {}
        if replay:
            self.replayed.append(lead_pk)
        for outcome in outcomes:
            if replay or outcome.suppression_reason is not None:
                self.reasons[outcome.seq] = outcome.suppression_reason
            for seq in outcome.regrouped_seqs:
                self.reasons[seq] = engine.Suppression.INORGANIC_GROUPED
            occurred_at = times[outcome.seq]
            for s in outcome.scores:
                self.score_rows.append(
                    (outcome.seq, lead_pk, s.ruleset_id, unit_id, s.kind, list(s.rule_ids),
                     s.weight, s.multiplier, s.delta, s.before, s.after, occurred_at)
                )  # fmt: skip
        for ruleset_id, score in state.scores.items():
            if replay or stored_scores.get(ruleset_id) != score:
                self.lead_scores.append(
                    {
                        "lead_id": lead_pk,
                        "ruleset_id": ruleset_id,
                        "unit_id": unit_id,
                        "score": score,
                    }
                )
        last_at, last_seq = state.last_key if state.last_key else (None, None)
        self.states.append(
            {
                "lead": lead_pk,
                "state": state.to_json(),
                "last_at": last_at,
                "last_seq": last_seq,
                "activity": state.last_activity_at,
                "event_type": state.last_event_type,
                "hooks": hook_state,  # SCORED_BATCH subscribers fill it before flush_states
            }
        )

    def flush(self) -> None:
        with connection.cursor() as cursor:
            if self.replayed:
                for table in (_EVENT_SCORES, _LEAD_SCORES):
                    cursor.execute(
                        f"DELETE FROM {table} WHERE lead_id = ANY(%s)",  # noqa: S608 - our tables
                        [self.replayed],
                    )
            if self.score_rows:
                with cursor.connection.cursor().copy(
                    f"COPY {_EVENT_SCORES} (event_id, lead_id, ruleset_id, unit_id, kind, "
                    "rule_ids, weight, multiplier, delta, score_before, score_after, "
                    "occurred_at, created_at) FROM STDIN"
                ) as copy:
                    for row in self.score_rows:
                        copy.write_row((*row, "now"))
            rows_upsert(
                LeadScore,
                rows=self.lead_scores,
                conflict=["lead_id", "ruleset_id"],
                update=["score", "updated_at"],
                now={"updated_at"},
            )
            # Rows travel as one JSON document, as in leadvibe.sql.
            if self.reasons:
                cursor.execute(
                    f"UPDATE {_EVENTS} AS e SET suppression_reason = v.reason "  # noqa: S608
                    "FROM jsonb_to_recordset(%s::jsonb) AS v(seq bigint, reason varchar) "
                    "WHERE e.seq = v.seq AND e.suppression_reason IS DISTINCT FROM v.reason",
                    [json.dumps([{"seq": k, "reason": v} for k, v in self.reasons.items()])],
                )

    def flush_states(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_STATES_UPDATE, [json.dumps(self.states)])


_STATES_UPDATE = f"""
UPDATE {_STATES} AS s
SET state = v.state, last_event_at = {SQL_TIMESTAMP_FROM_US.format("v.last_at")},
    last_event_seq = v.last_seq, last_activity_at = {SQL_TIMESTAMP_FROM_US.format("v.activity")},
    last_event_type = v.event_type, hook_state = COALESCE(v.hooks, s.hook_state),
    updated_at = now()
FROM jsonb_to_recordset(%s::jsonb) AS v(lead bigint, state jsonb, last_at bigint,
                                        last_seq bigint, activity bigint, event_type varchar,
                                        hooks jsonb)
WHERE s.lead_id = v.lead
"""  # noqa: S608 - constant fragments, values bound
