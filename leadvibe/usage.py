"""Usage figures of an organization or OU over a period (`GET /usage`).

Each figure is a counter registered by the app that owns the data (the platform counts API
requests; the scoring app counts ingested events), so this module depends on none of them.
"""

import datetime
from collections.abc import Callable

from leadvibe.audit import audit_log_request_count

UsageCounter = Callable[..., int]  # (*, org_id, unit_id: str | None, since) -> int

_counters: dict[str, UsageCounter] = {"api_requests": audit_log_request_count}


def register_usage_counter(name: str, counter: UsageCounter) -> None:
    _counters[name] = counter


def usage_counts(*, org_id: str, unit_id: str | None, since: datetime.datetime) -> dict[str, int]:
    return {
        name: counter(org_id=org_id, unit_id=unit_id, since=since)
        for name, counter in sorted(_counters.items())
    }


def month_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """Start of `now`'s calendar month (UTC) and start of the next one."""
    start = now.astimezone(datetime.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, next_month
