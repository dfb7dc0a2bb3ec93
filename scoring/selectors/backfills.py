"""Reads of the backfills: the OU's latest job of each kind (404 before the first)."""

from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.models import AccountBackfill, EventBackfill


def account_backfill_latest(*, ou: OrgUnit) -> AccountBackfill:
    job: AccountBackfill | None = AccountBackfill.objects.for_ou(ou).order_by("-id").first()
    if job is None:
        raise NotFoundError()
    return job


def event_backfill_latest(*, ou: OrgUnit) -> EventBackfill:
    job: EventBackfill | None = EventBackfill.objects.for_ou(ou).order_by("-id").first()
    if job is None:
        raise NotFoundError()
    return job
