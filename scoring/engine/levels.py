"""Levels (§4.7): inclusive score ranges, `max_score` None for no upper bound."""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LevelRange:
    name: str
    min_score: int
    max_score: int | None = None

    def contains(self, score: int) -> bool:
        return self.min_score <= score and (self.max_score is None or score <= self.max_score)

    def overlaps(self, other: "LevelRange") -> bool:
        below = self.max_score is not None and self.max_score < other.min_score
        above = other.max_score is not None and other.max_score < self.min_score
        return not (below or above)


def default_levels() -> list[LevelRange]:
    """What a new OU starts with, for each kind of level."""
    return [
        LevelRange("Cold", 0, 24),
        LevelRange("Warm", 25, 49),
        LevelRange("Hot", 50, 74),
        LevelRange("Very Hot", 75, None),
    ]


def level_for(score: int, levels: Sequence[LevelRange]) -> str | None:
    return next((level.name for level in levels if level.contains(score)), None)


def overlapping(levels: Sequence[LevelRange], candidate: LevelRange) -> list[str]:
    """Names of the levels `candidate` would overlap (levels of one kind must not)."""
    return [level.name for level in levels if level.overlaps(candidate)]
