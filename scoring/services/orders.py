"""Orders: a lead's purchases. They show in the lead's activity stream and are never scored."""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from leadvibe.exceptions import ConflictError, NotFoundError
from orgunits.models import OrgUnit
from scoring.ingestion.services.events import timestamp_check
from scoring.models import Lead, Order


def order_create(
    *,
    ou: OrgUnit,
    order_id: str,
    lead_id: str,
    amount: Decimal,
    currency: str,
    items: list,
    occurred_at: datetime.datetime | None = None,
) -> Order:
    """Record an order of a lead of the OU (404 for an unknown lead, 409 when the OU already
    has an order with this id). `currency` is stored upper-cased; `occurred_at` defaults to
    now and has the bounds of an event's timestamp."""
    now = timezone.now()
    timestamp_check(occurred_at=occurred_at, now=now)
    lead = Lead.objects.for_ou(ou).filter(lead_id=lead_id).first()
    if lead is None:
        raise NotFoundError(f"Lead {lead_id!r} not found")
    try:
        with transaction.atomic():
            return Order.objects.create(
                org_id=ou.org_id,
                unit=ou,
                lead=lead,
                order_id=order_id,
                amount=amount,
                currency=currency.upper(),
                items=items,
                occurred_at=occurred_at or now,
            )
    except IntegrityError as exc:
        raise ConflictError(f"Order {order_id!r} already exists") from exc
