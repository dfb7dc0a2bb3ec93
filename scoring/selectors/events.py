"""Reads of engagement events."""

import datetime

from scoring.models import EngagementEvent


def events_ingested_count(*, org_id: str, unit_id: str | None, since: datetime.datetime) -> int:
    events = EngagementEvent.objects.filter(org_id=org_id, received_at__gte=since)
    if unit_id is not None:
        events = events.filter(unit_id=unit_id)
    return events.exclude(source=EngagementEvent.Source.SYSTEM).count()
