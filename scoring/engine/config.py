"""The configuration the engine scores with: plain frozen values, built from the database by
the pipeline (cached per OU) or directly by tests. Times are integers in microseconds since
the epoch, durations in microseconds."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Self

from scoring.engine.conditions import condition_holds

SECOND_US = 1_000_000
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Rule:
    """Adds `weight` to an event of `event_type` (case-sensitive) whose time lies in
    `[start_at, end_at)`; an open end is unbounded."""

    id: int
    event_type: str
    weight: int
    active: bool = True
    start_at: int | None = None
    end_at: int | None = None

    def applies_at(self, occurred_at: int) -> bool:
        return (self.start_at is None or self.start_at <= occurred_at) and (
            self.end_at is None or occurred_at < self.end_at
        )


@dataclass(frozen=True)
class Ruleset:
    id: int
    rules: tuple[Rule, ...] = ()
    active: bool = True

    @cached_property
    def rules_by_type(self) -> Mapping[str, tuple[Rule, ...]]:
        index: dict[str, list[Rule]] = {}
        for rule in self.rules:
            if rule.active:
                index.setdefault(rule.event_type, []).append(rule)
        return {event_type: tuple(rules) for event_type, rules in index.items()}


@dataclass(frozen=True, slots=True)
class Condition:
    property: str
    operator: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class AttributeFilter:
    """Suppresses an event (of `event_type`, or of any type when None) whose metadata meets
    every condition."""

    id: int
    conditions: tuple[Condition, ...]
    event_type: str | None = None

    def suppresses(self, event_type: str, metadata: Mapping[str, Any]) -> bool:
        if self.event_type is not None and self.event_type != event_type:
            return False
        return bool(self.conditions) and all(
            condition_holds(metadata, c.property, c.operator, c.value) for c in self.conditions
        )


@dataclass(frozen=True, slots=True)
class InorganicFilter:
    id: int
    event_type: str
    count_threshold: int
    window_us: int
    group_events: bool = False


@dataclass(frozen=True)
class SurgePolicy:
    """Session surge multipliers (§4.4). The k-th event of a session gets the multiplier of
    the band with the largest `min_events <= k` (1 if none), capped at `cap`."""

    mode: str = "standard"
    bands: tuple[tuple[int, Decimal], ...] = ()
    cap: Decimal = ONE
    idle_reset_us: int = 30 * 60 * SECOND_US

    @classmethod
    def preset(
        cls,
        mode: str,
        *,
        idle_reset_us: int,
        bands: Iterable[Sequence[Any]] = (),
        cap: Decimal = ONE,
    ) -> Self:
        """The effective policy of a mode: `standard` and `gentle` are fixed presets whatever
        bands were stored, `off` multiplies by 1, `custom` uses the given bands."""
        if mode in PRESETS:
            preset_bands, preset_cap = PRESETS[mode]
            return cls(mode, preset_bands, preset_cap, idle_reset_us)
        if mode == "off":
            return cls("off", (), ONE, idle_reset_us)
        ordered = tuple(sorted((int(k), Decimal(str(m))) for k, m in bands))
        return cls("custom", ordered, Decimal(str(cap)), idle_reset_us)

    def multiplier(self, position: int) -> Decimal:
        chosen = ONE
        for min_events, multiplier in self.bands:
            if min_events <= position:
                chosen = multiplier
            else:
                break
        return min(chosen, self.cap)


# mode: (bands, cap). Documented in the surge-policy schema (scoring API).
PRESETS: dict[str, tuple[tuple[tuple[int, Decimal], ...], Decimal]] = {
    "standard": (((3, Decimal("1.25")), (5, Decimal("1.5")), (10, Decimal("2"))), Decimal("2")),
    "gentle": (((3, Decimal("1.1")), (5, Decimal("1.2")), (10, Decimal("1.5"))), Decimal("1.5")),
}


@dataclass(frozen=True, slots=True)
class EventTypePolicy:
    hidden: bool = False
    scope: str = "activate"  # observe | decide | activate


DEFAULT_TYPE_POLICY = EventTypePolicy()


@dataclass(frozen=True)
class ScoringConfig:
    rulesets: tuple[Ruleset, ...] = ()
    attribute_filters: tuple[AttributeFilter, ...] = ()
    inorganic_filters: tuple[InorganicFilter, ...] = ()
    surge: SurgePolicy = field(default_factory=SurgePolicy)
    event_types: Mapping[str, EventTypePolicy] = field(default_factory=dict)
    allow_negative: bool = False

    @cached_property
    def active_rulesets(self) -> tuple[Ruleset, ...]:
        return tuple(ruleset for ruleset in self.rulesets if ruleset.active)

    @cached_property
    def inorganic_by_type(self) -> Mapping[str, tuple[InorganicFilter, ...]]:
        index: dict[str, list[InorganicFilter]] = {}
        for velocity_filter in sorted(self.inorganic_filters, key=lambda f: f.id):
            index.setdefault(velocity_filter.event_type, []).append(velocity_filter)
        return {event_type: tuple(filters) for event_type, filters in index.items()}

    def type_policy(self, event_type: str) -> EventTypePolicy:
        return self.event_types.get(event_type, DEFAULT_TYPE_POLICY)

    def floor(self, score: int) -> int:
        return score if self.allow_negative else max(0, score)
