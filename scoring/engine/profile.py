"""Profile (fit) and account scoring (§4.8) and field mappings (§4.9): pure functions of
metadata."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scoring.engine.conditions import condition_holds

APPEND_KEEP = 10


@dataclass(frozen=True, slots=True)
class ProfileRule:
    id: int
    property: str
    condition: str
    value: Any
    weight: int


@dataclass(frozen=True, slots=True)
class ProfileRuleset:
    id: int
    rules: tuple[ProfileRule, ...]
    enabled: bool = True


def profile_scores(
    metadata: Mapping[str, Any], rulesets: Sequence[ProfileRuleset]
) -> dict[int, int]:
    """Each enabled ruleset's score: the sum of the weights of its rules that hold."""
    return {
        ruleset.id: sum(
            rule.weight
            for rule in ruleset.rules
            if condition_holds(metadata, rule.property, rule.condition, rule.value)
        )
        for ruleset in rulesets
        if ruleset.enabled
    }


@dataclass(frozen=True, slots=True)
class FieldMapping:
    source_field: str
    target_property: str
    update_behavior: str = "always_latest"  # always_latest | set_once | append


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def apply_field_mappings(
    metadata: Mapping[str, Any],
    event_metadata: Mapping[str, Any],
    mappings: Sequence[FieldMapping],
) -> dict[str, Any] | None:
    """The lead's (or account's) metadata after copying the event's mapped fields into it,
    or None when nothing changes. `append` keeps the last APPEND_KEEP distinct values, newest
    last, in `<property>_list`."""
    updated = dict(metadata)
    for mapping in mappings:
        if mapping.source_field not in event_metadata:
            continue
        value = event_metadata[mapping.source_field]
        if _empty(value):
            continue
        if mapping.update_behavior == "set_once":
            if _empty(updated.get(mapping.target_property)):
                updated[mapping.target_property] = value
        elif mapping.update_behavior == "append":
            key = f"{mapping.target_property}_list"
            current = updated.get(key)
            values = [v for v in (current if isinstance(current, list) else []) if v != value]
            updated[key] = [*values, value][-APPEND_KEEP:]
        else:
            updated[mapping.target_property] = value
    return updated if updated != metadata else None
