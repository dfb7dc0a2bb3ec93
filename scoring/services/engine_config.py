"""The engine's configuration of an OU, compiled from the database and cached per process
under the OU's configuration version (`ScoringConfigVersion`, bumped by every change), so a
batch costs one small query for the versions of its OUs."""

import datetime
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Generic, TypeVar

from orgunits.models import OrgUnit
from scoring import engine
from scoring.engine.config import SECOND_US
from scoring.models import (
    AttributeFilter,
    EventTypeSetting,
    InorganicFilter,
    Rule,
    Ruleset,
    ScoringConfigVersion,
    SurgePolicy,
)

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)
# The same conversions in SQL (format with a column or expression).
SQL_TIMESTAMP_FROM_US = "(timestamptz 'epoch' + {0} * interval '1 microsecond')"
SQL_US_FROM_TIMESTAMP = "(extract(epoch FROM {0}) * 1000000)::bigint"


T = TypeVar("T")


class ConfigVersionCache(Generic[T]):
    """What a process compiles from an OU's configuration (the engine's configuration, fit
    rules, triggers), kept while the OU's configuration version is unchanged."""

    def __init__(self, load: Callable[[str], T]):
        self._load = load
        self._entries: dict[str, tuple[int, T]] = {}
        self._lock = threading.Lock()

    def current(self, unit_ids: Iterable[str], versions: Mapping[str, int]) -> dict[str, T]:
        """`versions`: the OUs' configuration versions as just read (none: 0)."""
        current = {}
        for unit_id in unit_ids:
            version = versions.get(unit_id, 0)
            cached = self._entries.get(unit_id)
            if cached is None or cached[0] != version:
                cached = (version, self._load(unit_id))
                with self._lock:
                    self._entries[unit_id] = cached
            current[unit_id] = cached[1]
        return current


def to_us(moment: datetime.datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def from_us(microseconds: int) -> datetime.datetime:
    return EPOCH + datetime.timedelta(microseconds=microseconds)


def scoring_configs(unit_ids: Iterable[str]) -> dict[str, engine.ScoringConfig]:
    """The current configuration of each OU, from the cache when its version is unchanged."""
    unit_ids = set(unit_ids)
    return _configs.current(unit_ids, config_versions(unit_ids))


def config_versions(unit_ids: Iterable[str]) -> dict[str, int]:
    return dict(
        ScoringConfigVersion.objects.unscoped()
        .filter(unit_id__in=unit_ids)
        .values_list("unit_id", "version")
    )


def scoring_config_load(unit_id: str) -> engine.ScoringConfig:
    unit = OrgUnit.objects.select_related("org").get(pk=unit_id)
    rules_by_ruleset: dict[int, list[engine.Rule]] = {}
    for rule in Rule.objects.for_ou(unit_id).order_by("id"):
        rules_by_ruleset.setdefault(rule.ruleset_id, []).append(
            engine.Rule(
                id=rule.id,
                event_type=rule.event_type,
                weight=rule.weight,
                active=rule.active,
                start_at=to_us(rule.start_at) if rule.start_at else None,
                end_at=to_us(rule.end_at) if rule.end_at else None,
            )
        )
    rulesets = tuple(
        engine.Ruleset(ruleset.id, tuple(rules_by_ruleset.get(ruleset.id, ())), ruleset.active)
        for ruleset in Ruleset.objects.for_ou(unit_id).order_by("id")
    )
    attribute_filters = tuple(
        engine.AttributeFilter(
            id=f.id,
            event_type=f.event_type,
            conditions=tuple(
                engine.Condition(c["property"], c["condition"], c.get("value"))
                for c in f.conditions
            ),
        )
        for f in AttributeFilter.objects.for_ou(unit_id).filter(active=True).order_by("id")
    )
    inorganic_filters = tuple(
        engine.InorganicFilter(
            id=f.id,
            event_type=f.event_type,
            count_threshold=f.count_threshold,
            window_us=f.time_window_ms * 1000,
            group_events=f.group_events,
        )
        for f in InorganicFilter.objects.for_ou(unit_id).order_by("id")
    )
    event_types = {
        setting.event_type: engine.EventTypePolicy(
            hidden=setting.hidden, scope=setting.max_processing_scope
        )
        for setting in EventTypeSetting.objects.for_ou(unit_id)
    }
    return engine.ScoringConfig(
        rulesets=rulesets,
        attribute_filters=attribute_filters,
        inorganic_filters=inorganic_filters,
        surge=_surge_policy(unit),
        event_types=event_types,
        allow_negative=unit.org.allow_negative_scores,
    )


def _surge_policy(unit: OrgUnit) -> engine.SurgePolicy:
    stored = SurgePolicy.objects.for_ou(unit).first()
    default_idle_us = unit.session_timeout_minutes * 60 * SECOND_US
    if stored is None:
        return engine.SurgePolicy.preset("standard", idle_reset_us=default_idle_us)
    idle_us = (
        stored.idle_reset_seconds * SECOND_US if stored.idle_reset_seconds else default_idle_us
    )
    return engine.SurgePolicy.preset(
        stored.mode,
        idle_reset_us=idle_us,
        bands=[(band["min_events"], Decimal(str(band["multiplier"]))) for band in stored.bands],
        cap=stored.multiplier_cap,
    )


_configs = ConfigVersionCache(scoring_config_load)
