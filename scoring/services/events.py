"""Event ingestion: validate, resolve the lead, store the event pending, ring the doorbell.

Postgres is the source of truth: an event is accepted once its transaction commits. The
doorbell (a Celery task that processes pending events) is rung after commit and only as a
hint: if Redis is down the event stays pending and the periodic sweep picks it up.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from leadvibe.exceptions import ApplicationError, PayloadTooLargeError
from leadvibe.metrics import EVENTS_INGESTED
from orgunits.models import OrgUnit
from scoring.models import EngagementEvent
from scoring.normalize import normalize_channel
from scoring.services.leads import AliasInput, lead_resolve
from scoring.services.pipeline import ring_doorbell

MAX_METADATA_BYTES = 100 * 1024
MAX_FUTURE_SKEW = datetime.timedelta(minutes=5)
IDEMPOTENCY_WINDOW = datetime.timedelta(days=7)


@dataclass
class EventInput:
    event_type: str
    metadata: dict = field(default_factory=dict)
    occurred_at: datetime.datetime | None = None
    lead_id: str | None = None
    aliases: list[AliasInput] = field(default_factory=list)
    idempotency_key: str | None = None
    source: str = EngagementEvent.Source.API


@dataclass
class IngestResult:
    event: EngagementEvent
    lead_id: str
    created_lead: bool = False
    duplicate: bool = False
    alias_conflicts: list[dict] = field(default_factory=list)

    def as_response(self) -> dict:
        body = {
            "message": "event ingested",
            "event_id": self.event.public_id,
            "lead_id": self.lead_id,
            "metadata": self.event.metadata,
        }
        if self.alias_conflicts:
            body["alias_conflicts"] = self.alias_conflicts
        return body


class EventValidationError(ApplicationError):
    """A bad field of one event; `field` names it (for batch and CSV row errors)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message, details={field_name: [message]})
        self.field = field_name


def metadata_size(metadata: dict) -> int:
    return len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode())


def event_validate(event: EventInput, *, now: datetime.datetime) -> None:
    """Checks that do not need the database; raises EventValidationError or 413."""
    if not (1 <= len(event.event_type) <= 100) or not event.event_type.isprintable():
        raise EventValidationError("event_type", "Must be 1 to 100 printable characters.")
    if event.occurred_at is not None and event.occurred_at > now + MAX_FUTURE_SKEW:
        raise EventValidationError("timestamp", "Must not be more than 5 minutes in the future.")
    if not isinstance(event.metadata, dict):
        raise EventValidationError("metadata", "Must be a JSON object.")
    if metadata_size(event.metadata) > MAX_METADATA_BYTES:
        raise PayloadTooLargeError(
            f"metadata is larger than {MAX_METADATA_BYTES} bytes",
            details={"metadata": [f"At most {MAX_METADATA_BYTES} bytes of JSON."]},
        )
    if event.lead_id is None and not event.aliases:
        raise EventValidationError("lead_id", "Send lead_id or at least one alias.")


def event_ingest(*, ou: OrgUnit, event: EventInput) -> IngestResult:
    now = timezone.now()
    event_validate(event, now=now)
    with transaction.atomic():
        result = _ingest_one(ou=ou, event=event, now=now)
    if not result.duplicate:
        _after_commit(count=1)
    return result


def _ingest_one(*, ou: OrgUnit, event: EventInput, now: datetime.datetime) -> IngestResult:
    if not event.idempotency_key:
        return _store(ou=ou, event=event, now=now)
    earlier = _idempotent_match(ou=ou, key=event.idempotency_key)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            return _store(ou=ou, event=event, now=now)
    except IntegrityError:
        # Only the idempotency key can collide here: a concurrent repeat committed first.
        earlier = _idempotent_match(ou=ou, key=event.idempotency_key)
        if earlier is None:
            raise
        return earlier


def _store(*, ou: OrgUnit, event: EventInput, now: datetime.datetime) -> IngestResult:
    resolution = lead_resolve(ou=ou, lead_id=event.lead_id, aliases=event.aliases)
    row = EngagementEvent.objects.create(
        org_id=ou.org_id,
        unit=ou,
        lead_id=resolution.lead.pk,
        event_type=event.event_type,
        occurred_at=event.occurred_at or now,
        received_at=now,
        channel=normalize_channel(
            metadata=event.metadata, event_type=event.event_type, source=event.source
        ),
        metadata=event.metadata,
        source=event.source,
        idempotency_key=event.idempotency_key or None,
    )
    return IngestResult(
        event=row,
        lead_id=resolution.lead.lead_id,
        created_lead=resolution.created,
        alias_conflicts=resolution.alias_conflicts,
    )


def _idempotent_match(*, ou: OrgUnit, key: str) -> IngestResult | None:
    earlier = (
        EngagementEvent.objects.for_ou(ou)
        .filter(idempotency_key=key)
        .select_related("lead")
        .only("seq", "metadata", "lead__lead_id")
        .first()
    )
    if earlier is None:
        return None
    return IngestResult(event=earlier, lead_id=earlier.lead.lead_id, duplicate=True)


@dataclass
class BatchItemResult:
    index: int
    status: int
    body: dict


def events_ingest_batch(*, ou: OrgUnit, events: list[EventInput | ApplicationError]) -> list:
    """Ingest each valid item; all of them in one transaction. Items that failed parsing
    arrive as errors and are reported in place."""
    now = timezone.now()
    results: list[BatchItemResult] = []
    stored = 0
    with transaction.atomic():
        for index, item in enumerate(events):
            if isinstance(item, ApplicationError):
                results.append(_item_error(index, item))
                continue
            try:
                event_validate(item, now=now)
                with transaction.atomic():
                    outcome = _ingest_one(ou=ou, event=item, now=now)
            except ApplicationError as error:
                results.append(_item_error(index, error))
                continue
            stored += 0 if outcome.duplicate else 1
            results.append(
                BatchItemResult(index, 200 if outcome.duplicate else 202, outcome.as_response())
            )
    if stored:
        _after_commit(count=stored)
    return results


def _item_error(index: int, error: ApplicationError) -> BatchItemResult:
    body = {"status": error.status_code, "error": error.message}
    if error.details:
        body["details"] = error.details
    return BatchItemResult(index, error.status_code, body)


def _after_commit(*, count: int) -> None:
    def accepted() -> None:
        EVENTS_INGESTED.inc(count)
        ring_doorbell()

    transaction.on_commit(accepted)


def idempotency_keys_expire(*, now: datetime.datetime | None = None) -> int:
    """Free idempotency keys older than the 7-day window, so they may be used again."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_WINDOW
    return EngagementEvent.objects.filter(
        idempotency_key__isnull=False, received_at__lt=cutoff
    ).update(idempotency_key=None)
