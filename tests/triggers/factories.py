"""Firings and deliveries as the pipeline would have written them, for tests of their reads."""

import datetime
import itertools

from django.utils import timezone

from triggers.models import Delivery, Firing

_seq = itertools.count(1_000_000)


def make_firing(
    trigger,
    lead,
    *,
    kind: str | None = None,
    occurred_at: datetime.datetime | None = None,
    channel: str = "web",
    score: int | None = None,
    event_type: str = "page_view",
    payload: dict | None = None,
) -> Firing:
    """A firing of `trigger` for `lead` (of the trigger's kind unless told), by an event of
    its own made-up seq."""
    seq = next(_seq)
    occurred_at = occurred_at or timezone.now()
    return Firing.objects.create(
        org_id=trigger.org_id,
        unit_id=trigger.unit_id,
        trigger=trigger,
        lead=lead,
        kind=kind or trigger.kind,
        occurrence=seq,
        event_seq=seq,
        event_type=event_type,
        channel=channel,
        score=score,
        occurred_at=occurred_at,
        event_received_at=occurred_at,
        payload=payload or {},
    )


def make_delivery(firing: Firing, *, channel: str = "webhook", target: str = "", **fields):
    return Delivery.objects.create(
        org_id=firing.org_id,
        unit_id=firing.unit_id,
        firing=firing,
        channel=channel,
        target=target or "https://hooks.example.com/in",
        **fields,
    )
