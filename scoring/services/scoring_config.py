"""The OU's scoring configuration version (`ScoringConfigVersion`): every write of the
configuration bumps it, and workers recompile an OU's cached configuration when it changed.

Configuration writes call `scoring_config_changed` first in their transaction: the upsert
locks the OU's version row until commit, so the writes of one OU run one after the other and
checks that read other rows (one primary ruleset, levels that must not overlap) cannot race.
A write that fails rolls the bump back with it.
"""

from typing import TypeVar

from django.db import IntegrityError, connection, transaction

from leadvibe.exceptions import ApplicationError, ConflictError
from orgunits.models import Member, Organization, OrgUnit
from orgunits.tenancy import ConfigModel
from scoring.models import ScoringConfigVersion
from scoring.selectors.config import config_object_get

ConfigObject = TypeVar("ConfigObject", bound=ConfigModel)

_TABLE = ScoringConfigVersion._meta.db_table


def scoring_config_changed(ou: OrgUnit) -> int:
    """Bump the OU's configuration version (creating it at 1); returns the new version."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (unit_id, version) VALUES (%s, 1) "  # noqa: S608 - our table
            f"ON CONFLICT (unit_id) DO UPDATE SET version = {_TABLE}.version + 1 "
            "RETURNING version",
            [ou.pk],
        )
        (version,) = cursor.fetchone()
    return version


def scoring_config_changed_for_org(org: Organization) -> None:
    """Bump every OU of the organization (its org-wide settings changed), in OU id order so
    that two such writes never wait on each other in a cycle."""
    units = OrgUnit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (unit_id, version) "  # noqa: S608 - our tables
            f"SELECT id, 1 FROM {units} WHERE org_id = %s ORDER BY id "
            f"ON CONFLICT (unit_id) DO UPDATE SET version = {_TABLE}.version + 1",
            [org.pk],
        )


@transaction.atomic
def config_object_create(
    model: type[ConfigObject], *, ou: OrgUnit, member: Member | None, **fields
) -> ConfigObject:
    """A configuration object of the OU made by `member`, the version bumped with it."""
    scoring_config_changed(ou)
    obj = model.authored(ou=ou, member=member, **fields)
    obj.save()
    return obj


@transaction.atomic
def config_object_update(
    model: type[ConfigObject], *, ou: OrgUnit, member: Member | None, public_id: str, changes
) -> ConfigObject:
    """The OU's object named `public_id` (NotFoundError otherwise) with `changes` applied."""
    scoring_config_changed(ou)
    obj = config_object_get(model, ou=ou, public_id=public_id)
    config_object_save(obj, member=member, changes=changes)
    return obj


@transaction.atomic
def config_object_delete(model: type[ConfigModel], *, ou: OrgUnit, public_id: str) -> None:
    scoring_config_changed(ou)
    config_object_get(model, ou=ou, public_id=public_id).delete()


def config_object_save(obj: ConfigModel, *, member: Member | None, changes: dict) -> None:
    """Apply `changes` to a configuration object and save it as updated by `member`."""
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.updated_by = member
    obj.save()


def config_object_saved_or_conflict(obj: ConfigObject, message: str) -> ConfigObject:
    """Save `obj`; a unique constraint it breaks answers 409 with `message`. The OU's
    configuration writes are serialized (scoring_config_changed), so that is unexpected, but
    never a 500."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ConflictError(message) from exc
    return obj


def config_invalid(field: str, message: str, *, summary: str = "Validation failed"):
    """A 400 in the shape of the API's validation errors, for rules the services check."""
    return ApplicationError(summary, details={field: [message]})
