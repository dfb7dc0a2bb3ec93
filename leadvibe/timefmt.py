"""RFC 3339 on the wire, always in UTC."""

import datetime

from django.utils import timezone


def to_rfc3339(value: datetime.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    text = value.astimezone(datetime.UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_rfc3339(text: str) -> datetime.datetime:
    """Parse an RFC 3339 timestamp; it must carry an offset (`Z` or `±hh:mm`)."""
    try:
        value = datetime.datetime.fromisoformat(text.strip())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}") from exc
    if value.tzinfo is None:
        raise ValueError(f"timestamp needs a UTC offset such as 'Z': {text!r}")
    return value.astimezone(datetime.UTC)
