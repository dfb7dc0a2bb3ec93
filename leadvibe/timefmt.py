"""RFC 3339 on the wire, always in UTC."""

import datetime

from django.utils import timezone


class TimestampOutOfRange(ValueError):
    """A well-formed timestamp whose instant falls outside the years 1 to 9999 in UTC (an
    extreme offset on the first or last representable day)."""


def to_rfc3339(value: datetime.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    text = value.astimezone(datetime.UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_rfc3339(text: str) -> datetime.datetime:
    """Parse an RFC 3339 timestamp; it must carry an offset (`Z` or `±hh:mm`). Raises
    ValueError, TimestampOutOfRange when it is well-formed but not representable in UTC."""
    try:
        value = datetime.datetime.fromisoformat(text.strip())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}") from exc
    if value.tzinfo is None:
        raise ValueError(f"timestamp needs a UTC offset such as 'Z': {text!r}")
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError as exc:
        raise TimestampOutOfRange(
            f"timestamp is outside the years 1 to 9999 in UTC: {text!r}"
        ) from exc
