"""The OU's scoring configuration version (`ScoringConfigVersion`): every write of the
configuration bumps it, and workers recompile an OU's cached configuration when it changed.

Configuration writes call `scoring_config_changed` first in their transaction: the upsert
locks the OU's version row until commit, so the writes of one OU run one after the other and
checks that read other rows (one primary ruleset, levels that must not overlap) cannot race.
A write that fails rolls the bump back with it.
"""

from django.db import connection

from leadvibe.exceptions import ApplicationError
from orgunits.models import Member, Organization, OrgUnit
from scoring.models import OUScopedModel, ScoringConfigVersion

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


def config_object_save(obj: OUScopedModel, *, member: Member | None, changes: dict) -> None:
    """Apply `changes` to a configuration object and save it as updated by `member`."""
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.updated_by = member
    obj.save()


def config_invalid(field: str, message: str, *, summary: str = "Validation failed"):
    """A 400 in the shape of the API's validation errors, for rules the services check."""
    return ApplicationError(summary, details={field: [message]})
