"""Decay rules (architecture.md §4.6): every full `inactive_for` of a lead's inactivity lowers
its score in each active ruleset by `decrease`."""

from orgunits.models import Member, OrgUnit
from scoring.models import DecayRule
from scoring.services.scoring_config import (
    config_object_create,
    config_object_delete,
    config_object_update,
)


def decay_create(
    *, ou: OrgUnit, member: Member | None, inactive_for: int, time_unit: str, decrease: int
) -> DecayRule:
    return config_object_create(
        DecayRule, ou=ou, member=member, inactive_for=inactive_for, time_unit=time_unit,
        decrease=decrease,
    )  # fmt: skip


def decay_update(*, ou: OrgUnit, member: Member | None, decay_id: str, **changes) -> DecayRule:
    """Change any of inactive_for, time_unit and decrease."""
    return config_object_update(
        DecayRule, ou=ou, member=member, public_id=decay_id, changes=changes
    )


def decay_delete(*, ou: OrgUnit, decay_id: str) -> None:
    """Delete the rule; points it already took stay taken."""
    config_object_delete(DecayRule, ou=ou, public_id=decay_id)
