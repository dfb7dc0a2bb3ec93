"""Filters that suppress events (architecture.md §4.2-4.3): attribute filters on event
metadata, and inorganic (velocity) filters on how many events of a type a lead sends within
a time window."""

from django.db import transaction

from orgunits.models import Member, OrgUnit
from scoring.models import AttributeFilter, InorganicFilter
from scoring.selectors.config import config_object_get
from scoring.services.scoring_config import config_object_save, scoring_config_changed


@transaction.atomic
def inorganic_filter_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    event_type: str,
    count_threshold: int,
    time_window_ms: int,
    group_events: bool = False,
) -> InorganicFilter:
    scoring_config_changed(ou)
    return InorganicFilter.objects.create(
        org_id=ou.org_id,
        unit=ou,
        event_type=event_type,
        count_threshold=count_threshold,
        time_window_ms=time_window_ms,
        group_events=group_events,
        created_by=member,
        updated_by=member,
    )


@transaction.atomic
def inorganic_filter_update(
    *, ou: OrgUnit, member: Member | None, filter_id: str, **changes
) -> InorganicFilter:
    """Change any of event_type, count_threshold, time_window_ms and group_events."""
    scoring_config_changed(ou)
    velocity_filter = config_object_get(InorganicFilter, ou=ou, public_id=filter_id)
    config_object_save(velocity_filter, member=member, changes=changes)
    return velocity_filter


@transaction.atomic
def inorganic_filter_delete(*, ou: OrgUnit, filter_id: str) -> None:
    scoring_config_changed(ou)
    config_object_get(InorganicFilter, ou=ou, public_id=filter_id).delete()


@transaction.atomic
def attribute_filter_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    name: str,
    conditions: list[dict],
    event_type: str | None = None,
    active: bool = True,
) -> AttributeFilter:
    """`conditions`: `[{"property", "condition", "value"}]`, all of which must hold for the
    filter to suppress an event (of `event_type`, or of any type when None)."""
    scoring_config_changed(ou)
    return AttributeFilter.objects.create(
        org_id=ou.org_id,
        unit=ou,
        name=name,
        event_type=event_type,
        conditions=conditions,
        active=active,
        created_by=member,
        updated_by=member,
    )


@transaction.atomic
def attribute_filter_update(
    *, ou: OrgUnit, member: Member | None, filter_id: str, **changes
) -> AttributeFilter:
    """Change any of name, event_type, conditions and active."""
    scoring_config_changed(ou)
    attribute_filter = config_object_get(AttributeFilter, ou=ou, public_id=filter_id)
    config_object_save(attribute_filter, member=member, changes=changes)
    return attribute_filter


@transaction.atomic
def attribute_filter_delete(*, ou: OrgUnit, filter_id: str) -> None:
    scoring_config_changed(ou)
    config_object_get(AttributeFilter, ou=ou, public_id=filter_id).delete()
