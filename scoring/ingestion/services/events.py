"""Event ingestion: validate, resolve the lead, store the event pending, ring the doorbell.

Postgres is the source of truth: an event is accepted once its transaction commits. The
doorbell (a Celery task that processes pending events) is rung after commit and only as a
hint: if Redis is down the event stays pending and the periodic sweep picks it up. The same
round trip to Redis tells the OU's live stream (`event_ingested`).
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.utils import timezone

from leadvibe.exceptions import ApplicationError, PayloadTooLargeError
from leadvibe.live import LiveEvent
from leadvibe.metrics import EVENTS_INGESTED
from leadvibe.timefmt import to_rfc3339
from orgunits.models import OrgUnit
from scoring.ingestion.normalize import normalize_alias, normalize_channel
from scoring.ingestion.services.event_store import (
    PreparedEvent,
    StoredEvent,
    events_store,
    run_retrying_races,
)
from scoring.models import EngagementEvent, Lead, LeadAlias
from scoring.services.leads import AliasInput
from scoring.services.pipeline import ring_doorbell

MAX_METADATA_BYTES = 100 * 1024
# The bounds of an event's (and an order's) `timestamp`: the scoring windows and decay do
# arithmetic on it, and no engagement predates the Unix epoch; a client clock may run a
# little ahead of ours.
EARLIEST_TIMESTAMP = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MAX_FUTURE_SKEW = datetime.timedelta(minutes=5)
TIMESTAMP_BOUNDS = "timestamp must be from 1970-01-01T00:00:00Z to 5 minutes after now."
IDEMPOTENCY_WINDOW = datetime.timedelta(days=7)
_MAX_LEAD_ID = Lead._meta.get_field("lead_id").max_length
_MAX_ALIAS = LeadAlias._meta.get_field("raw_value").max_length
# An escaped NUL in JSON text (an odd number of backslashes before u0000): jsonb refuses it.
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
# `event_ingested` messages of the live stream per request: it shows activity as it happens,
# and a 1,000-event batch would be 1,000 messages to every open stream (GET /events has them
# all). CSV imports send none: backfills of up to millions of rows, stored by COPY without
# reading their ids back.
LIVE_EVENTS_MAX = 100


@dataclass
class EventInput:
    event_type: str
    metadata: dict = field(default_factory=dict)
    occurred_at: datetime.datetime | None = None
    lead_id: str | None = None
    aliases: list[AliasInput] = field(default_factory=list)
    idempotency_key: str | None = None
    source: str = EngagementEvent.Source.API


class EventValidationError(ApplicationError):
    """A bad field of one event; `field` names it (for batch and CSV row errors)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message, details={field_name: [message]})
        self.field = field_name


def metadata_encode(metadata: dict) -> str:
    """The JSON text stored for `metadata`; EventValidationError for what jsonb refuses."""
    try:
        return _JSON_ENCODER.encode(metadata)
    except ValueError:
        raise EventValidationError(
            "metadata", "Numbers must be finite: NaN and Infinity are not JSON."
        ) from None


def metadata_check(text: str) -> None:
    """Refuses JSON text that jsonb refuses or that is over the size limit (413)."""
    if "u0000" in text and _JSON_NUL.search(text):
        raise EventValidationError("metadata", "Must not contain NUL characters (\\u0000).")
    try:
        size = len(text.encode())
    except UnicodeEncodeError:
        raise EventValidationError("metadata", "Contains an unpaired surrogate.") from None
    if size > MAX_METADATA_BYTES:
        raise PayloadTooLargeError(
            f"metadata is larger than {MAX_METADATA_BYTES} bytes",
            details={"metadata": [f"At most {MAX_METADATA_BYTES} bytes of JSON."]},
        )


def text_check(field_name: str, value: str, max_length: int) -> None:
    if len(value) > max_length:
        raise EventValidationError(field_name, f"Must be at most {max_length} characters.")
    if "\x00" in value:
        raise EventValidationError(field_name, "Must not contain NUL characters.")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise EventValidationError(field_name, "Contains an unpaired surrogate.") from None


def timestamp_check(*, occurred_at: datetime.datetime | None, now: datetime.datetime) -> None:
    """EventValidationError unless `occurred_at` (None: now) is within the bounds of an
    event's or an order's `timestamp`."""
    if occurred_at is not None and not (EARLIEST_TIMESTAMP <= occurred_at <= now + MAX_FUTURE_SKEW):
        raise EventValidationError("timestamp", TIMESTAMP_BOUNDS)


def event_prepare(
    position: int, event: EventInput, *, now: datetime.datetime, metadata_json: str | None = None
) -> PreparedEvent:
    """Every check that needs no database, and the normal forms stored; raises
    EventValidationError or 413. `metadata_json` is the metadata's JSON text when the caller
    has it (CSV cells), to store as sent."""
    if not (1 <= len(event.event_type) <= 100) or not event.event_type.isprintable():
        raise EventValidationError("event_type", "Must be 1 to 100 printable characters.")
    text_check("event_type", event.event_type, 100)
    timestamp_check(occurred_at=event.occurred_at, now=now)
    if not isinstance(event.metadata, dict):
        raise EventValidationError("metadata", "Must be a JSON object.")
    if metadata_json is None:
        metadata_json = metadata_encode(event.metadata)
    metadata_check(metadata_json)
    if event.lead_id is not None:
        text_check("lead_id", event.lead_id, _MAX_LEAD_ID)
    aliases = _aliases_prepare(event.aliases)
    if event.lead_id is None and not aliases:
        raise EventValidationError("lead_id", "Send lead_id or at least one alias.")
    if event.idempotency_key is not None:
        text_check("idempotency_key", event.idempotency_key, 255)
    return PreparedEvent(
        position=position,
        event_type=event.event_type,
        occurred_at=event.occurred_at,
        lead_id=event.lead_id,
        aliases=aliases,
        metadata=event.metadata,
        metadata_json=metadata_json,
        channel=normalize_channel(
            metadata=event.metadata, event_type=event.event_type, source=event.source
        ),
        source=event.source,
        idempotency_key=event.idempotency_key or None,
    )


def _aliases_prepare(aliases: list[AliasInput]) -> list[tuple[str, str, str]]:
    """`(kind, raw value as stored, normalized value)` without blanks and repeats, in
    resolution priority order."""
    prepared: dict[tuple[str, str], tuple[str, str, str]] = {}
    for alias in aliases:
        raw = alias.raw_value.strip()
        if not raw:
            continue
        text_check(alias.kind, raw, _MAX_ALIAS)
        normalized = normalize_alias(alias.kind, raw)
        if not normalized:
            raise EventValidationError(alias.kind, "A phone number needs at least one digit.")
        text_check(alias.kind, normalized, _MAX_ALIAS)
        prepared.setdefault((alias.kind, normalized), (alias.kind, raw, normalized))
    return sorted(prepared.values(), key=lambda alias: LeadAlias.PRIORITY.index(alias[0]))


def event_ingest(*, ou: OrgUnit, event: EventInput) -> StoredEvent:
    """Store one event (or find its idempotent repeat); raises the errors that refuse it."""
    now = timezone.now()
    prepared = event_prepare(0, event, now=now)
    stored, refused = run_retrying_races(
        ou, partial(events_store, ou=ou, events=[prepared], now=now)
    )
    if refused:
        raise refused[0].error
    _after_commit(ou=ou, stored=stored, now=now)
    return stored[0]


def events_ingest_batch(
    *, ou: OrgUnit, events: list[EventInput | ApplicationError]
) -> list[StoredEvent | ApplicationError]:
    """Ingest each valid item, all of them in one transaction; items that failed parsing
    arrive as errors. One outcome per item, in order: the event stored (or found repeated),
    or the error that refused it."""
    now = timezone.now()
    outcomes: dict[int, StoredEvent | ApplicationError] = {}
    prepared = []
    for index, item in enumerate(events):
        try:
            if isinstance(item, ApplicationError):
                raise item
            prepared.append(event_prepare(index, item, now=now))
        except ApplicationError as error:
            outcomes[index] = error
    stored, refused = run_retrying_races(ou, partial(events_store, ou=ou, events=prepared, now=now))
    for refusal in refused:
        outcomes[refusal.prepared.position] = refusal.error
    for outcome in stored:
        outcomes[outcome.prepared.position] = outcome
    _after_commit(ou=ou, stored=stored, now=now)
    return [outcomes[index] for index in range(len(events))]


def _after_commit(*, ou: OrgUnit, stored: list[StoredEvent], now: datetime.datetime) -> None:
    count = sum(1 for outcome in stored if not outcome.duplicate)
    if not count:
        return
    live_events = {ou.id: _ingested_live_events(stored, now=now)}

    def accepted() -> None:
        EVENTS_INGESTED.inc(count)
        ring_doorbell(live_events=live_events)

    transaction.on_commit(accepted)


def _ingested_live_events(stored: list[StoredEvent], *, now: datetime.datetime) -> list[LiveEvent]:
    new = [event for event in stored if not event.duplicate][:LIVE_EVENTS_MAX]
    return [
        (
            "event_ingested",
            {
                "event_id": event.public_id,
                "lead_id": event.lead_id,
                "event_type": event.prepared.event_type,
                "channel": event.prepared.channel,
                "occurred_at": to_rfc3339(event.prepared.occurred_at or now),
            },
        )
        for event in new
    ]


def idempotency_keys_expire(*, now: datetime.datetime | None = None) -> int:
    """Free idempotency keys older than the 7-day window, so they may be used again."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_WINDOW
    return (
        EngagementEvent.objects.unscoped()
        .filter(idempotency_key__isnull=False, received_at__lt=cutoff)
        .update(idempotency_key=None, idempotency_hash=None)
    )
