"""Normal forms of what clients send: alias values and event channels."""

import re

from scoring.models import EngagementEvent, LeadAlias

Channel = EngagementEvent.Channel

_CHANNEL_SYNONYMS = {
    "web": Channel.WEB,
    "website": Channel.WEB,
    "site": Channel.WEB,
    "page": Channel.WEB,
    "webpage": Channel.WEB,
    "app": Channel.WEB,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "slack": Channel.SLACK,
    "webinar": Channel.WEBINAR,
    "event": Channel.WEBINAR,
    "crm": Channel.CRM,
    "salesforce": Channel.CRM,
    "hubspot": Channel.CRM,
    "system": Channel.SYSTEM,
}
# Event types that name their channel (`email_open`, `webinar_attended`, `crm.deal_won`).
_TYPE_PREFIX = re.compile(r"^(email|slack|webinar|crm)[_.:-]", re.IGNORECASE)


def normalize_channel(*, metadata: dict, event_type: str, source: str) -> str:
    """The event's channel: `metadata.channel` when recognised, else the source or the
    event type's prefix, else web."""
    declared = metadata.get("channel")
    if isinstance(declared, str) and declared.strip().lower() in _CHANNEL_SYNONYMS:
        return _CHANNEL_SYNONYMS[declared.strip().lower()]
    if source == EngagementEvent.Source.SYSTEM:
        return Channel.SYSTEM
    match = _TYPE_PREFIX.match(event_type)
    return _CHANNEL_SYNONYMS[match.group(1).lower()] if match else Channel.WEB


def normalize_alias(kind: str, raw_value: str) -> str:
    """Emails trimmed and lower-cased; phones to digits with a leading +; others trimmed."""
    value = raw_value.strip()
    if kind == LeadAlias.Kind.EMAIL:
        return value.lower()
    if kind == LeadAlias.Kind.PHONE:
        digits = re.sub(r"\D", "", value)
        return f"+{digits}" if digits else ""
    return value
