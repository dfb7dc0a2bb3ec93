"""Scoring one event against a lead's state (§4), and the reference scorer over a stream."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from scoring.engine.config import ONE, ScoringConfig

DECAY_EVENT_TYPE = "DECAY"


class Suppression:
    METADATA_FILTER = "metadata_filter"
    INORGANIC = "inorganic"
    INORGANIC_GROUPED = "inorganic_grouped"
    HIDDEN_TYPE = "hidden_type"


class ScoreKind:
    RULE = "rule"  # the event's own points under the ruleset's rules
    COMPENSATION = "compensation"  # points of a grouped burst taken back (§4.3)
    DECAY = "decay"  # a system DECAY event (§4.6)


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """`occurred_at` in microseconds since the epoch. A DECAY event is a system event whose
    metadata holds `decay_rule_id` and `decrease`."""

    seq: int
    event_type: str
    occurred_at: int
    metadata: Mapping[str, Any] = field(default_factory=dict)
    system: bool = False

    @property
    def order_key(self) -> tuple[int, int]:
        return (self.occurred_at, self.seq)


@dataclass(frozen=True, slots=True)
class RulesetScore:
    ruleset_id: int
    kind: str
    rule_ids: tuple[int, ...]
    weight: int
    multiplier: Decimal
    delta: int
    before: int
    after: int


@dataclass(slots=True)
class EventOutcome:
    seq: int
    suppression_reason: str | None = None
    scope: str = "activate"
    session_position: int | None = None
    multiplier: Decimal = ONE
    scores: list[RulesetScore] = field(default_factory=list)
    # Earlier events of a burst that this event turned into a grouped one (§4.3): their
    # points were just taken back and they now read `inorganic_grouped`.
    regrouped_seqs: tuple[int, ...] = ()

    @property
    def fires_triggers(self) -> bool:
        return self.suppression_reason is None and self.scope == "activate"


@dataclass(slots=True)
class _Burst:
    """One inorganic filter's view of the lead: its latest `count_threshold` events of the
    type as `[occurred_at, seq, {ruleset: points scored}]` (all the rolling count and a
    grouping need), and, with `group_events`, the current burst."""

    recent: list[list[Any]] = field(default_factory=list)
    last_at: int | None = None
    grouped: bool = False


@dataclass(slots=True)
class LeadState:
    """Everything scoring needs to know of a lead's past, JSON-serializable (`to_json`)."""

    scores: dict[int, int] = field(default_factory=dict)
    last_key: tuple[int, int] | None = None  # (occurred_at, seq) of the last event applied
    last_activity_at: int | None = None  # last unsuppressed, non-system event
    session_last_at: int | None = None
    session_count: int = 0
    bursts: dict[int, _Burst] = field(default_factory=dict)
    last_decay_at: dict[int, int] = field(default_factory=dict)  # decay rule -> last DECAY
    last_event_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "scores": {str(k): v for k, v in self.scores.items()},
            "last_key": list(self.last_key) if self.last_key else None,
            "last_activity_at": self.last_activity_at,
            "session": [self.session_last_at, self.session_count],
            "bursts": {
                str(k): {
                    "recent": [
                        [t, seq, {str(r): p for r, p in points.items()}]
                        for t, seq, points in b.recent
                    ],
                    "last_at": b.last_at,
                    "grouped": b.grouped,
                }
                for k, b in self.bursts.items()
            },
            "last_decay_at": {str(k): v for k, v in self.last_decay_at.items()},
            "last_event_type": self.last_event_type,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "LeadState":
        if not data:
            return cls()
        session_last_at, session_count = data.get("session") or (None, 0)
        return cls(
            scores={int(k): v for k, v in data.get("scores", {}).items()},
            last_key=tuple(data["last_key"]) if data.get("last_key") else None,
            last_activity_at=data.get("last_activity_at"),
            session_last_at=session_last_at,
            session_count=session_count,
            bursts={
                int(k): _Burst(
                    recent=[
                        [t, seq, {int(r): p for r, p in points.items()}]
                        for t, seq, points in b["recent"]
                    ],
                    last_at=b["last_at"],
                    grouped=b["grouped"],
                )
                for k, b in data.get("bursts", {}).items()
            },
            last_decay_at={int(k): v for k, v in data.get("last_decay_at", {}).items()},
            last_event_type=data.get("last_event_type"),
        )


def round_half_up(value: Decimal) -> int:
    """Halves round away from zero, so a negative rule takes back exactly what the positive
    one of the same size gives."""
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def score_event(state: LeadState, event: EngineEvent, config: ScoringConfig) -> EventOutcome:
    """Apply one event to `state` (mutated) under §4 and say what it scored. Events must come
    in `(occurred_at, seq)` order; the pipeline replays a lead when one arrives late."""
    state.last_key = event.order_key
    if event.system:
        return _apply_system_event(state, event, config)
    state.last_event_type = event.event_type
    policy = config.type_policy(event.event_type)
    outcome = EventOutcome(seq=event.seq, scope=policy.scope)
    if policy.scope == "observe":
        return outcome
    if policy.hidden:
        outcome.suppression_reason = Suppression.HIDDEN_TYPE
        return outcome
    if any(f.suppresses(event.event_type, event.metadata) for f in config.attribute_filters):
        outcome.suppression_reason = Suppression.METADATA_FILTER
        return outcome

    taken_back, points_records = _apply_velocity_filters(state, event, config, outcome)
    for ruleset_id, taken_back_points in taken_back.items():
        _add(
            state, config, outcome, ruleset_id, ScoreKind.COMPENSATION, (), -taken_back_points, ONE
        )
    if outcome.suppression_reason is not None:
        return outcome

    if state.session_last_at is None or (
        event.occurred_at - state.session_last_at >= config.surge.idle_reset_us
    ):
        state.session_count = 0
    state.session_count += 1
    state.session_last_at = event.occurred_at
    state.last_activity_at = event.occurred_at
    outcome.session_position = state.session_count
    outcome.multiplier = config.surge.multiplier(state.session_count)

    for ruleset in config.active_rulesets:
        rules = [
            rule
            for rule in ruleset.rules_by_type.get(event.event_type, ())
            if rule.applies_at(event.occurred_at)
        ]
        if not rules:
            continue
        weight = sum(rule.weight for rule in rules)
        delta = round_half_up(Decimal(weight) * outcome.multiplier)
        rule_ids = tuple(rule.id for rule in rules)
        applied = _add(
            state, config, outcome, ruleset.id, ScoreKind.RULE, rule_ids, delta,
            outcome.multiplier, weight=weight,
        )  # fmt: skip
        for points in points_records:
            points[ruleset.id] = applied
    return outcome


def _apply_velocity_filters(
    state: LeadState, event: EngineEvent, config: ScoringConfig, outcome: EventOutcome
) -> tuple[dict[int, int], list[dict[int, int]]]:
    """Counts the event in each inorganic filter of its type (§4.3) and suppresses it when a
    count exceeds the threshold. Returns the points to take back (a burst grouped by this
    event: those of the 2nd..Nth events of the window) and, for the event's own points, the
    dicts that remember them in case a later event groups the burst."""
    points_records: list[dict[int, int]] = []
    # Two filters grouping the same events take their points back once.
    regrouped: dict[int, dict[int, int]] = {}
    for velocity_filter in config.inorganic_by_type.get(event.event_type, ()):
        burst = state.bursts.setdefault(velocity_filter.id, _Burst())
        window_start = event.occurred_at - velocity_filter.window_us
        recent = [entry for entry in burst.recent if entry[0] > window_start]
        exceeded = len(recent) >= velocity_filter.count_threshold
        entry: list[Any] = [event.occurred_at, event.seq, {}]
        burst.recent = [*recent, entry][-velocity_filter.count_threshold :]
        if not velocity_filter.group_events:
            if exceeded:
                outcome.suppression_reason = outcome.suppression_reason or Suppression.INORGANIC
            continue
        continuing = burst.last_at is not None and (
            event.occurred_at - burst.last_at < velocity_filter.window_us
        )
        burst.last_at = event.occurred_at
        if not continuing:
            burst.grouped = False
        if exceeded and not burst.grouped:
            burst.grouped = True
            regrouped.update((seq, points) for _, seq, points in recent[1:])
        if burst.grouped:
            outcome.suppression_reason = outcome.suppression_reason or Suppression.INORGANIC_GROUPED
        else:
            points_records.append(entry[2])
    outcome.regrouped_seqs = tuple(sorted(regrouped))
    taken_back: dict[int, int] = {}
    for points in regrouped.values():
        for ruleset_id, scored in points.items():
            taken_back[ruleset_id] = taken_back.get(ruleset_id, 0) + scored
    return {k: v for k, v in taken_back.items() if v}, points_records


def _apply_system_event(
    state: LeadState, event: EngineEvent, config: ScoringConfig
) -> EventOutcome:
    outcome = EventOutcome(seq=event.seq, scope="decide")
    if event.event_type == DECAY_EVENT_TYPE:
        decrease = int(event.metadata.get("decrease", 0))
        for ruleset in config.active_rulesets:
            _add(state, config, outcome, ruleset.id, ScoreKind.DECAY, (), -decrease, ONE)
        rule_id = event.metadata.get("decay_rule_id")
        if rule_id is not None:
            state.last_decay_at[int(rule_id)] = event.occurred_at
    return outcome


def _add(
    state: LeadState,
    config: ScoringConfig,
    outcome: EventOutcome,
    ruleset_id: int,
    kind: str,
    rule_ids: tuple[int, ...],
    delta: int,
    multiplier: Decimal,
    *,
    weight: int | None = None,
) -> int:
    """Applies `delta` to one ruleset's score under the floor (§4.5); records and returns
    the applied delta. A change of nothing by a system adjustment is not recorded."""
    before = state.scores.get(ruleset_id, 0)
    after = config.floor(before + delta)
    state.scores[ruleset_id] = after
    if kind != ScoreKind.RULE and after == before:
        return 0
    outcome.scores.append(
        RulesetScore(
            ruleset_id=ruleset_id,
            kind=kind,
            rule_ids=rule_ids,
            weight=delta if weight is None else weight,
            multiplier=multiplier,
            delta=after - before,
            before=before,
            after=after,
        )
    )
    return after - before


def score_stream(
    events: Iterable[EngineEvent], config: ScoringConfig
) -> tuple[LeadState, list[EventOutcome]]:
    """The reference scorer: a lead's events (DECAY included) replayed in `(occurred_at, seq)`
    order from an empty state. Its final state and per-event outcomes are the canonical
    scores."""
    state = LeadState()
    outcomes = [
        score_event(state, event, config) for event in sorted(events, key=lambda e: e.order_key)
    ]
    return state, outcomes
