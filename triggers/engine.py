"""Trigger evaluation (architecture.md §5) as pure Python: no database, Django or clock.

`evaluate` looks at one scored event of a lead with the lead's trigger state (a JSON-ready
dict, mutated) and says what the OU's triggers emit for it. Each trigger keeps only what its
window needs (a few timestamps), so an event costs O(triggers that can match its type) and
the lead's history is never read again. The pipeline, replays and `simulate` all run it.

Times are microseconds since the epoch, as in the scoring engine.

- A trigger concerns only events received since it was created (`since`; simulations set 0).
- `observe` events and system (DECAY) events are not evaluated. Suppressed events (filters,
  bots) count for no window, but a score they take back can drop a lead below a milestone.
  `decide` events advance the windows and move scores but never fire: a sequence, pattern or
  burst they complete is consumed without firing, and a milestone they cross does not fire.
- Milestone: the primary score moves from below the threshold to at or above it on an event
  (of `event_type`, when set). `once` fires on the first crossing; `always` on every crossing,
  at most once per cooldown. Dropping back below emits `milestone_exited`.
- Sequence: all steps within the window (in order when `ordered`); fires and starts over.
- Pattern: every condition's minimum count within the window; fires and starts over.
- Surge: the matching events within the rolling window reach the threshold; once per burst
  (the count must fall below the threshold again before it fires anew).
"""

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

MILESTONE = "milestone"
MILESTONE_EXITED = "milestone_exited"
SEQUENCE = "sequence"
PATTERN = "pattern"
SURGE = "surge"
ONCE_OCCURRENCE = 0  # the occurrence of what happens once per lead; otherwise the event's seq


@dataclass(frozen=True, slots=True)
class Milestone:
    id: int
    threshold: int
    event_type: str | None = None
    always: bool = False
    cooldown_us: int = 0
    since: int = 0  # events received before (the trigger's creation) do not concern it


@dataclass(frozen=True, slots=True)
class Sequence:
    id: int
    steps: tuple[str, ...]
    window_us: int
    ordered: bool = True
    always: bool = False
    # Lead-level filters, checked when the sequence completes (the lead's attributes are not
    # part of the event); a completion that fails them is consumed without firing.
    has_lead_filters: bool = False
    since: int = 0


@dataclass(frozen=True, slots=True)
class PatternCondition:
    event_type: str
    min_count: int
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, event_type: str, metadata: Mapping[str, Any]) -> bool:
        return event_type == self.event_type and all(
            metadata.get(key) == value for key, value in self.metadata.items()
        )


@dataclass(frozen=True, slots=True)
class Pattern:
    id: int
    conditions: tuple[PatternCondition, ...]
    window_us: int
    since: int = 0


@dataclass(frozen=True, slots=True)
class Surge:
    id: int
    threshold: int
    window_us: int
    event_type: str | None = None
    since: int = 0  # earlier events still fill the shared window, but neither start nor fire


@dataclass(frozen=True, slots=True)
class SurgeGroup:
    key: str  # of the group's times in the state
    window_us: int
    keep: int  # the most times any member needs: its threshold
    surges: tuple[Surge, ...]


@dataclass(frozen=True)
class TriggerSet:
    """The OU's active triggers, indexed by the event type that can advance them."""

    milestones: tuple[Milestone, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    patterns: tuple[Pattern, ...] = ()
    surges: tuple[Surge, ...] = ()
    # Indexes built once from the tuples above.
    _sequences_by_type: dict[str, list[Sequence]] = field(init=False, repr=False, compare=False)
    _patterns_by_type: dict[str, list[Pattern]] = field(init=False, repr=False, compare=False)
    _surges_by_type: dict[str | None, list[SurgeGroup]] = field(
        init=False, repr=False, compare=False
    )
    _milestones_by_threshold: list[Milestone] = field(init=False, repr=False, compare=False)
    _thresholds: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sequences: dict[str, list[Sequence]] = {}
        for sequence in self.sequences:
            for step in dict.fromkeys(sequence.steps):
                sequences.setdefault(step, []).append(sequence)
        patterns: dict[str, list[Pattern]] = {}
        for pattern in self.patterns:
            for event_type in dict.fromkeys(c.event_type for c in pattern.conditions):
                patterns.setdefault(event_type, []).append(pattern)
        # Surges counting the same events (type, window) share one list of recent times.
        grouped: dict[tuple[str | None, int], list[Surge]] = {}
        for surge in self.surges:
            grouped.setdefault((surge.event_type, surge.window_us), []).append(surge)
        surges: dict[str | None, list[SurgeGroup]] = {}
        for (surge_event_type, window_us), members in grouped.items():
            surges.setdefault(surge_event_type, []).append(
                SurgeGroup(
                    key=f"{surge_event_type or '*'}|{window_us}",
                    window_us=window_us,
                    keep=max(surge.threshold for surge in members),
                    surges=tuple(members),
                )
            )
        milestones = sorted(self.milestones, key=lambda m: (m.threshold, m.id))
        object.__setattr__(self, "_sequences_by_type", sequences)
        object.__setattr__(self, "_patterns_by_type", patterns)
        object.__setattr__(self, "_surges_by_type", surges)
        object.__setattr__(self, "_milestones_by_threshold", milestones)
        object.__setattr__(self, "_thresholds", [m.threshold for m in milestones])

    def __bool__(self) -> bool:
        return bool(self.milestones or self.sequences or self.patterns or self.surges)

    def sequences_for(self, event_type: str) -> list[Sequence]:
        return self._sequences_by_type.get(event_type, [])

    def patterns_for(self, event_type: str) -> list[Pattern]:
        return self._patterns_by_type.get(event_type, [])

    def surge_groups_for(self, event_type: str) -> list["SurgeGroup"]:
        return [*self._surges_by_type.get(None, ()), *self._surges_by_type.get(event_type, ())]

    def milestones_between(self, low: int, high: int) -> list[Milestone]:
        """The milestones whose threshold a move between `low` and `high` crosses:
        low < threshold <= high."""
        start = bisect.bisect_right(self._thresholds, low)
        end = bisect.bisect_right(self._thresholds, high)
        return self._milestones_by_threshold[start:end]


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    """What trigger evaluation needs of a scored event."""

    seq: int
    event_type: str
    occurred_at: int
    metadata: Mapping[str, Any]
    counts: bool  # neither observed, suppressed nor a system event
    fires: bool  # counts, and its processing scope is `activate`
    score_before: int | None = None  # the primary score, when the event changed it (not DECAY)
    score_after: int | None = None
    received_at: int | None = None  # None: after every trigger's `since`

    def concerns(self, trigger: "_SinceCreated") -> bool:
        return self.received_at is None or self.received_at >= trigger.since


@dataclass(frozen=True, slots=True)
class Emission:
    trigger_id: int
    kind: str
    occurrence: int
    seq: int
    detail: Mapping[str, Any] = field(default_factory=dict)


LeadFilter = Callable[[Sequence], bool]
# A lead's trigger state: JSON-ready, keyed by trigger kind ("m", "s", "p", "g", "b").
TriggerState = dict[str, Any]


class _SinceCreated(Protocol):
    @property
    def since(self) -> int: ...


def evaluate(
    state: TriggerState,
    event: TriggerEvent,
    triggers: TriggerSet,
    lead_passes: LeadFilter | None = None,
) -> list[Emission]:
    """Apply one event (in `(occurred_at, seq)` order) to the lead's trigger `state`."""
    emissions: list[Emission] = []
    if (
        event.score_before is not None
        and event.score_after is not None
        and event.score_before != event.score_after
    ):
        _milestones(state, event, event.score_before, event.score_after, triggers, emissions)
    if not event.counts:
        return emissions
    for sequence in triggers.sequences_for(event.event_type):
        if event.concerns(sequence):
            _sequence(state, event, sequence, emissions, lead_passes)
    for pattern in triggers.patterns_for(event.event_type):
        if event.concerns(pattern):
            _pattern(state, event, pattern, emissions)
    for group in triggers.surge_groups_for(event.event_type):
        _surges(state, event, group, emissions)
    return emissions


def _milestones(
    state: TriggerState,
    event: TriggerEvent,
    before: int,
    after: int,
    triggers: TriggerSet,
    emissions: list[Emission],
) -> None:
    crossed = triggers.milestones_between(min(before, after), max(before, after))
    if not crossed:
        return
    fired_at = state.setdefault("m", {})
    for milestone in crossed:
        if not event.concerns(milestone):
            continue
        key = str(milestone.id)
        if before < milestone.threshold <= after:
            if milestone.event_type is not None and milestone.event_type != event.event_type:
                continue
            last = fired_at.get(key)
            if not event.fires:
                continue
            if milestone.always:
                if last is not None and event.occurred_at - last < milestone.cooldown_us:
                    continue
                occurrence = event.seq
            elif last is not None:
                continue
            else:
                occurrence = ONCE_OCCURRENCE
            fired_at[key] = event.occurred_at
            detail = {"threshold": milestone.threshold, "score": after}
            emissions.append(Emission(milestone.id, MILESTONE, occurrence, event.seq, detail))
        elif after < milestone.threshold <= before:
            detail = {"threshold": milestone.threshold, "score": after}
            emissions.append(Emission(milestone.id, MILESTONE_EXITED, event.seq, event.seq, detail))
    if not fired_at:
        del state["m"]


def _sequence(
    state: TriggerState,
    event: TriggerEvent,
    sequence: Sequence,
    emissions: list[Emission],
    lead_passes: LeadFilter | None,
) -> None:
    sequences = state.setdefault("s", {})
    key = str(sequence.id)
    progress = sequences.get(key)
    if progress == "done":
        return
    oldest = event.occurred_at - sequence.window_us
    if sequence.ordered:
        # starts[k]: the latest start time of a match of steps[0..k] in order so far.
        starts = progress or [None] * len(sequence.steps)
        starts = [start if start is not None and start >= oldest else None for start in starts]
        for k in reversed(range(len(sequence.steps))):
            if sequence.steps[k] != event.event_type:
                continue
            if k == 0:
                starts[0] = event.occurred_at
            elif starts[k - 1] is not None:
                starts[k] = starts[k - 1]
        complete = starts[-1] is not None
        progress = starts
    else:
        # The latest times of each required type, as many as the steps name it.
        needed: dict[str, int] = {}
        for step in sequence.steps:
            needed[step] = needed.get(step, 0) + 1
        seen = {
            event_type: [t for t in times if t >= oldest]
            for event_type, times in (progress or {}).items()
        }
        times = [*seen.get(event.event_type, []), event.occurred_at]
        seen[event.event_type] = times[-needed[event.event_type] :]
        complete = all(len(seen.get(step, ())) >= count for step, count in needed.items())
        progress = seen
    if not complete:
        sequences[key] = progress
        return
    fires = event.fires and (
        not sequence.has_lead_filters or lead_passes is None or lead_passes(sequence)
    )
    if fires:
        occurrence = event.seq if sequence.always else ONCE_OCCURRENCE
        emissions.append(Emission(sequence.id, SEQUENCE, occurrence, event.seq))
    if fires and not sequence.always:
        sequences[key] = "done"
    else:
        sequences.pop(key, None)


def _pattern(
    state: TriggerState, event: TriggerEvent, pattern: Pattern, emissions: list[Emission]
) -> None:
    patterns = state.setdefault("p", {})
    key = str(pattern.id)
    oldest = event.occurred_at - pattern.window_us
    counted = [[t for t in times if t >= oldest] for times in patterns.get(key, ())] or [
        [] for _ in pattern.conditions
    ]
    for index, condition in enumerate(pattern.conditions):
        if condition.matches(event.event_type, event.metadata):
            counted[index] = [*counted[index], event.occurred_at][-condition.min_count :]
    if all(
        len(times) >= condition.min_count
        for times, condition in zip(counted, pattern.conditions, strict=True)
    ):
        patterns.pop(key, None)
        if event.fires:
            detail = {"counts": [c.min_count for c in pattern.conditions]}
            emissions.append(Emission(pattern.id, PATTERN, event.seq, event.seq, detail))
        return
    patterns[key] = counted


def _surges(
    state: TriggerState, event: TriggerEvent, group: SurgeGroup, emissions: list[Emission]
) -> None:
    """A burst goes on while the count in the window stays at or above the threshold;
    `state["b"]` holds the surges in a burst."""
    times_by_group = state.setdefault("g", {})
    oldest = event.occurred_at - group.window_us
    times = [t for t in times_by_group.get(group.key, ()) if t >= oldest]
    count_before = len(times)
    times.append(event.occurred_at)
    times_by_group[group.key] = times[-group.keep :]
    bursting = state.setdefault("b", {})
    for surge in group.surges:
        if not event.concerns(surge):
            continue
        key = str(surge.id)
        if count_before >= surge.threshold and bursting.get(key):
            continue  # the same burst
        if count_before + 1 >= surge.threshold:
            bursting[key] = True
            if event.fires:
                detail = {"count": count_before + 1, "window_us": surge.window_us}
                emissions.append(Emission(surge.id, SURGE, event.seq, event.seq, detail))
        else:
            bursting.pop(key, None)
    if not bursting:
        del state["b"]
