"""Levels (architecture.md §4.7): named, inclusive score ranges of three kinds (engagement,
profile, account). Within a kind ranges must not overlap, and the last level cannot be
deleted. New OUs start with the engine's default levels for each kind."""

from django.db import transaction

from orgunits.extension_points import OrgUnitCreated
from orgunits.models import Member, OrgUnit
from scoring.engine.levels import LevelRange, default_levels, overlapping
from scoring.extension_points import SCORE_BASIS_CHANGED, ScoreBasisChanged
from scoring.models import Level
from scoring.selectors.config import level_get, levels_list
from scoring.services.scoring_config import (
    config_invalid,
    config_object_save,
    scoring_config_changed,
)


def levels_create_defaults(created: OrgUnitCreated) -> None:
    """Give a new OU the default levels of every kind (subscribes to ORG_UNIT_CREATED)."""
    unit = created.unit
    Level.objects.bulk_create(
        Level(
            org_id=unit.org_id,
            unit=unit,
            kind=kind,
            name=level.name,
            min_score=level.min_score,
            max_score=level.max_score,
        )
        for kind in Level.Kind.values
        for level in default_levels()
    )


@transaction.atomic
def level_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    kind: str,
    name: str,
    min_score: int,
    max_score: int | None = None,
) -> Level:
    scoring_config_changed(ou)
    _check_range(ou=ou, kind=kind, candidate=LevelRange(name, min_score, max_score))
    _levels_changed(ou, kind)
    level = Level.authored(
        ou=ou, member=member, kind=kind, name=name, min_score=min_score, max_score=max_score
    )
    level.save()
    return level


@transaction.atomic
def level_update(
    *, ou: OrgUnit, member: Member | None, kind: str, level_id: str, **changes
) -> Level:
    """Change any of name, min_score and max_score (None: no upper bound)."""
    scoring_config_changed(ou)
    level = level_get(ou=ou, kind=kind, level_id=level_id)
    candidate = LevelRange(
        changes.get("name", level.name),
        changes.get("min_score", level.min_score),
        changes.get("max_score", level.max_score),
    )
    _check_range(ou=ou, kind=kind, candidate=candidate, other_than=level)
    config_object_save(level, member=member, changes=changes)
    _levels_changed(ou, kind)
    return level


@transaction.atomic
def level_delete(*, ou: OrgUnit, kind: str, level_id: str) -> None:
    scoring_config_changed(ou)
    level = level_get(ou=ou, kind=kind, level_id=level_id)
    if not levels_list(ou=ou, kind=kind).exclude(pk=level.pk).exists():
        raise config_invalid(
            "stage_id",
            f"{level.name!r} is the last {kind} level of the OU: it cannot be deleted.",
            summary=f"The last {kind} level cannot be deleted",
        )
    level.delete()
    _levels_changed(ou, kind)


def _levels_changed(ou: OrgUnit, kind: str) -> None:
    SCORE_BASIS_CHANGED.publish(ScoreBasisChanged(unit_id=ou.pk, kind=kind))


def _check_range(
    *, ou: OrgUnit, kind: str, candidate: LevelRange, other_than: Level | None = None
) -> None:
    if candidate.max_score is not None and candidate.min_score > candidate.max_score:
        raise config_invalid("max_score", "Must be at least min_score (or null: no upper bound).")
    others = levels_list(ou=ou, kind=kind)
    if other_than is not None:
        others = others.exclude(pk=other_than.pk)
    names = overlapping(
        [LevelRange(level.name, level.min_score, level.max_score) for level in others], candidate
    )
    if names:
        listed = ", ".join(repr(name) for name in names)
        raise config_invalid(
            "min_score",
            f"The range overlaps the {kind} level(s) {listed}; levels of a kind must not overlap.",
            summary=f"Overlaps the {kind} level(s) {listed}",
        )
