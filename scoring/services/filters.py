"""Filters that suppress events (architecture.md §4.2-4.3): attribute filters on event
metadata, and inorganic (velocity) filters on how many events of a type a lead sends within
a time window."""

from orgunits.models import Member, OrgUnit
from scoring.models import AttributeFilter, InorganicFilter
from scoring.services.scoring_config import (
    config_object_create,
    config_object_delete,
    config_object_update,
)


def inorganic_filter_create(
    *,
    ou: OrgUnit,
    member: Member | None,
    event_type: str,
    count_threshold: int,
    time_window_ms: int,
    group_events: bool = False,
) -> InorganicFilter:
    return config_object_create(
        InorganicFilter, ou=ou, member=member, event_type=event_type,
        count_threshold=count_threshold, time_window_ms=time_window_ms,
        group_events=group_events,
    )  # fmt: skip


def inorganic_filter_update(
    *, ou: OrgUnit, member: Member | None, filter_id: str, **changes
) -> InorganicFilter:
    """Change any of event_type, count_threshold, time_window_ms and group_events."""
    return config_object_update(
        InorganicFilter, ou=ou, member=member, public_id=filter_id, changes=changes
    )


def inorganic_filter_delete(*, ou: OrgUnit, filter_id: str) -> None:
    config_object_delete(InorganicFilter, ou=ou, public_id=filter_id)


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
    return config_object_create(
        AttributeFilter, ou=ou, member=member, name=name, event_type=event_type,
        conditions=conditions, active=active,
    )  # fmt: skip


def attribute_filter_update(
    *, ou: OrgUnit, member: Member | None, filter_id: str, **changes
) -> AttributeFilter:
    """Change any of name, event_type, conditions and active."""
    return config_object_update(
        AttributeFilter, ou=ou, member=member, public_id=filter_id, changes=changes
    )


def attribute_filter_delete(*, ou: OrgUnit, filter_id: str) -> None:
    config_object_delete(AttributeFilter, ou=ou, public_id=filter_id)
