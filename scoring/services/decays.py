"""Decay rules (architecture.md §4.6): every full `inactive_for` of a lead's inactivity lowers
its score in each active ruleset by `decrease`."""

from django.db import transaction

from orgunits.models import Member, OrgUnit
from scoring.models import DecayRule
from scoring.selectors.config import config_object_get
from scoring.services.scoring_config import config_object_save, scoring_config_changed


@transaction.atomic
def decay_create(
    *, ou: OrgUnit, member: Member | None, inactive_for: int, time_unit: str, decrease: int
) -> DecayRule:
    scoring_config_changed(ou)
    return DecayRule.objects.create(
        org_id=ou.org_id,
        unit=ou,
        inactive_for=inactive_for,
        time_unit=time_unit,
        decrease=decrease,
        created_by=member,
        updated_by=member,
    )


@transaction.atomic
def decay_update(*, ou: OrgUnit, member: Member | None, decay_id: str, **changes) -> DecayRule:
    """Change any of inactive_for, time_unit and decrease."""
    scoring_config_changed(ou)
    decay = config_object_get(DecayRule, ou=ou, public_id=decay_id)
    config_object_save(decay, member=member, changes=changes)
    return decay


@transaction.atomic
def decay_delete(*, ou: OrgUnit, decay_id: str) -> None:
    """Delete the rule; points it already took stay taken."""
    scoring_config_changed(ou)
    config_object_get(DecayRule, ou=ou, public_id=decay_id).delete()
