"""Sending the outbox (architecture.md §5): each `Delivery` is claimed, sent once, and either
marked delivered or given its next attempt on the Standard Webhooks / Svix schedule
(immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each with ±10 % jitter, never
sooner than the receiver's Retry-After), after which it is failed.

A claim moves the delivery's `next_attempt_at` a lease ahead and counts the attempt in one
statement (SKIP LOCKED), so the task sent after commit and the periodic sweep never send the
same attempt twice, and an attempt lost with its worker is retried when the lease ends. The
HTTP call happens outside any transaction.
"""

import datetime
import email.utils
import functools
import json
import logging
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import escape
from standardwebhooks.webhooks import Webhook

from leadvibe.metrics import EVENT_TO_SLACK_LATENCY
from scoring.services.scoring_config import scoring_config_changed
from triggers.models import Delivery, Firing, Trigger
from triggers.services.outbound import OutboundURLRefused, pinned_url
from triggers.services.slack import SlackDeliveryError, post_slack_message
from triggers.services.templating import (
    DEFAULT_MESSAGE,
    DEFAULT_SUBJECT,
    NotificationTemplateError,
    render_template,
)
from triggers.services.webhook_secret import signing_secrets

logger = logging.getLogger(__name__)

RETRY_DELAYS = tuple(
    datetime.timedelta(seconds=seconds)
    for seconds in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
CLAIM_LEASE = datetime.timedelta(minutes=2)  # longer than any one send may take
SWEEP_BATCH = 200
HTTP_CONCURRENCY = 8  # webhook and Teams posts in flight per worker process
USER_AGENT = "Leadvibe-Webhooks/1.0"


@dataclass
class DeliveryFailure(Exception):
    error: str
    retryable: bool = True
    status_code: int | None = None
    retry_after: float | None = None
    endpoint_gone: bool = False  # 410: stop sending to this URL for the trigger


_CLAIM = f"""
UPDATE {Delivery._meta.db_table} d
SET next_attempt_at = now() + %(lease)s, attempts = d.attempts + 1, updated_at = now()
WHERE d.id IN (
    SELECT id FROM {Delivery._meta.db_table}
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING d.id
"""  # noqa: S608 - our table


def _claim(limit: int) -> list[int]:
    with transaction.atomic(), connection.cursor() as cursor:
        # A claim lost in a crash is only an attempt made again.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(_CLAIM, {"lease": CLAIM_LEASE, "limit": limit})
        return [row[0] for row in cursor.fetchall()]


def deliveries_sweep() -> int:
    """Send every delivery whose attempt is due: new ones (the task sent after their firing
    committed runs this, so tasks queued behind a busy worker coalesce: the first sends what
    all of them were for), retries, and those whose task was lost. Returns how many were
    attempted."""
    attempted = 0
    while claimed := _claim(SWEEP_BATCH):
        _send_claimed(claimed)
        attempted += len(claimed)
        if len(claimed) < SWEEP_BATCH:
            break
    return attempted


@dataclass(frozen=True)
class OutboundPost:
    url: str
    body: bytes
    headers: dict[str, str]


def _send_claimed(delivery_ids: list[int]) -> None:
    """Email and Slack are sent one by one; webhook and Teams posts are prepared here (the
    database reads stay on this thread) and sent `HTTP_CONCURRENCY` at a time."""
    deliveries = list(
        Delivery.objects.unscoped()
        .filter(id__in=delivery_ids)
        .select_related("firing", "firing__trigger", "firing__lead")
        .order_by("id")
    )
    outcomes: dict[int, DeliveryFailure | None] = {}
    posts: list[tuple[Delivery, OutboundPost]] = []
    secrets_by_unit: dict[str, list[str]] = {}
    mail = get_connection()  # opened by the first email, kept for the batch's others
    try:
        for delivery in deliveries:
            try:
                match delivery.channel:
                    case Delivery.Channel.WEBHOOK:
                        posts.append((delivery, _webhook_post(delivery, secrets_by_unit)))
                    case Delivery.Channel.TEAMS:
                        posts.append((delivery, _teams_post(delivery)))
                    case Delivery.Channel.EMAIL:
                        _send_email(delivery, mail)
                        outcomes[delivery.pk] = None
                    case Delivery.Channel.SLACK:
                        _send_slack(delivery)
                        outcomes[delivery.pk] = None
            except Exception as exc:
                outcomes[delivery.pk] = _as_failure(delivery, exc)
    finally:
        mail.close()
    results = _http_pool().map(_post, [post for _, post in posts])
    for (delivery, _), result in zip(posts, results, strict=True):
        outcomes[delivery.pk] = result
    _record_outcomes(deliveries, outcomes)


def _as_failure(delivery: Delivery, exc: Exception) -> DeliveryFailure:
    if isinstance(exc, DeliveryFailure):
        return exc
    # A bug or a lost key must not hold up the other deliveries.
    logger.exception("delivery attempt crashed", extra={"delivery": delivery.pk})
    return DeliveryFailure(f"internal error: {type(exc).__name__}")


@functools.cache
def _http_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=HTTP_CONCURRENCY, thread_name_prefix="delivery")


@functools.cache
def _http_client() -> httpx.Client:
    """One client per process: kept-alive connections to receivers that get many posts."""
    return httpx.Client(
        follow_redirects=False,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        headers={"content-type": "application/json", "user-agent": USER_AGENT},
        limits=httpx.Limits(max_connections=4 * HTTP_CONCURRENCY),
    )


def _record_outcomes(
    deliveries: list[Delivery], outcomes: dict[int, "DeliveryFailure | None"]
) -> None:
    """One transaction for the batch, committed without waiting for its WAL flush: a mark
    lost in a database crash only means the delivery is sent again, under the same
    `webhook-id`, which receivers use to drop duplicates."""
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Delivery.objects.unscoped().filter(
            pk__in=[pk for pk, failure in outcomes.items() if failure is None]
        ).update(
            status=Delivery.Status.DELIVERED,
            delivered_at=now,
            next_attempt_at=None,
            last_error="",
            updated_at=now,
        )
        for delivery in deliveries:
            failure = outcomes[delivery.pk]
            if failure is not None:
                _record_failure(delivery, failure)


def _record_failure(delivery: Delivery, failure: DeliveryFailure) -> None:
    now = timezone.now()
    fields = {"last_error": failure.error[:2000], "updated_at": now}
    if failure.status_code is not None:
        fields["last_status_code"] = failure.status_code
    if failure.endpoint_gone:
        _disable_webhook(delivery, now)
        fields.update(status=Delivery.Status.DISABLED, next_attempt_at=None)
    elif not failure.retryable or delivery.attempts >= MAX_ATTEMPTS:
        fields.update(status=Delivery.Status.FAILED, next_attempt_at=None)
    else:
        delay = RETRY_DELAYS[delivery.attempts - 1] * random.uniform(0.9, 1.1)  # noqa: S311
        if failure.retry_after is not None:
            delay = max(delay, datetime.timedelta(seconds=failure.retry_after))
        fields["next_attempt_at"] = now + delay
    Delivery.objects.unscoped().filter(pk=delivery.pk).update(**fields)
    logger.info(
        "delivery attempt failed",
        extra={
            "delivery": delivery.pk,
            "channel": delivery.channel,
            "attempt": delivery.attempts,
            "error": failure.error,
        },
    )


def _disable_webhook(delivery: Delivery, now: datetime.datetime) -> None:
    """The receiver answered 410 Gone: the trigger stops sending to that URL (its pending
    deliveries there included) until the URL is saved again."""
    trigger = delivery.firing.trigger
    with transaction.atomic():
        Trigger.objects.unscoped().filter(pk=trigger.pk, webhook_url=delivery.target).update(
            webhook_disabled_at=now
        )
        Delivery.objects.unscoped().filter(
            firing__trigger=trigger,
            channel=Delivery.Channel.WEBHOOK,
            target=delivery.target,
            status=Delivery.Status.PENDING,
        ).update(status=Delivery.Status.DISABLED, next_attempt_at=None, updated_at=now)
        scoring_config_changed(trigger.unit)


# --- What is sent --------------------------------------------------------------------------


def notification_payload(firing: Firing) -> dict:
    """The Standard Webhooks envelope of a firing: `type`, `timestamp`, `data`. A segment
    trigger's firing has no event (`null`); its payload names the segment, direction, cause
    and time of the change."""
    trigger = firing.trigger
    occurred_at = firing.occurred_at.isoformat().replace("+00:00", "Z")
    event = None
    if firing.event_seq is not None:
        event = {
            "id": f"ev_{firing.event_seq}",
            "type": firing.event_type,
            "channel": firing.channel,
            "occurred_at": occurred_at,
        }
    return {
        "type": f"trigger.{firing.kind}",
        "timestamp": firing.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "firing_id": firing.pk,
            "trigger": {"id": trigger.public_id, "kind": trigger.kind, "name": trigger.name},
            "lead": {"id": firing.lead.lead_id, "metadata": firing.lead.metadata},
            "score": firing.score,
            "event": event,
            **firing.payload,
        },
    }


def template_context(firing: Firing) -> dict:
    trigger = firing.trigger
    return {
        "lead": {"id": firing.lead.lead_id, "metadata": firing.lead.metadata},
        "score": firing.score,
        "trigger": {"id": trigger.public_id, "name": trigger.name, "kind": trigger.kind},
        "event": {"type": firing.event_type, "occurred_at": firing.occurred_at.isoformat()},
    }


def _plain_message(firing: Firing) -> str:
    return render_template(
        firing.trigger.email_message or DEFAULT_MESSAGE, template_context(firing), html=False
    )


def _post(post: OutboundPost) -> DeliveryFailure | None:
    """Runs on the pool's threads: no database here."""
    try:
        target = pinned_url(post.url)
    except OutboundURLRefused as exc:
        return DeliveryFailure(f"refused: {exc}", retryable=False)
    try:
        response = _http_client().post(
            target.url, content=post.body, headers={**post.headers, **target.headers}
        )
    except httpx.HTTPError as exc:
        return DeliveryFailure(f"{type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return None
    return DeliveryFailure(
        f"HTTP {response.status_code}",
        status_code=response.status_code,
        retry_after=_retry_after(response.headers.get("retry-after")),
        endpoint_gone=response.status_code == 410,
    )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - timezone.now()).total_seconds())


def _webhook_post(delivery: Delivery, secrets_by_unit: dict[str, list[str]]) -> OutboundPost:
    body = json.dumps(notification_payload(delivery.firing), separators=(",", ":"))
    message_id = f"msg_{delivery.pk}"
    sent_at = timezone.now()
    if delivery.unit_id not in secrets_by_unit:
        secrets_by_unit[delivery.unit_id] = signing_secrets(delivery.unit_id)
    signatures = " ".join(
        Webhook(secret).sign(message_id, sent_at, body)
        for secret in secrets_by_unit[delivery.unit_id]
    )
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signatures,
    }
    return OutboundPost(delivery.target, body.encode(), headers)


def _teams_post(delivery: Delivery) -> OutboundPost:
    try:
        text = _plain_message(delivery.firing)
    except NotificationTemplateError as exc:
        raise DeliveryFailure(f"template: {exc}", retryable=False) from exc
    return OutboundPost(delivery.target, json.dumps({"text": text}).encode(), {})


def _send_email(delivery: Delivery, mail: BaseEmailBackend) -> None:
    firing = delivery.firing
    trigger = firing.trigger
    context = template_context(firing)
    try:
        subject = render_template(trigger.email_subject or DEFAULT_SUBJECT, context, html=False)
        preheader = render_template(trigger.email_preheader, context, html=False)
        text = render_template(trigger.email_message or DEFAULT_MESSAGE, context, html=False)
        html_body = render_template(trigger.email_message or DEFAULT_MESSAGE, context, html=True)
    except NotificationTemplateError as exc:
        raise DeliveryFailure(f"template: {exc}", retryable=False) from exc
    hidden_preheader = (
        f'<span style="display:none;max-height:0;overflow:hidden">{escape(preheader)}</span>'
        if preheader
        else ""
    )
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:500],
        body=f"{preheader}\n\n{text}" if preheader else text,
        to=[delivery.target],
        connection=mail,
    )
    message.attach_alternative(
        f"<!doctype html><html><body>{hidden_preheader}<p>{html_body}</p></body></html>",
        "text/html",
    )
    try:
        mail.open()  # no-op once open; an open connection stays open after the send
        message.send()
    except OSError as exc:  # smtplib's errors are OSErrors
        raise DeliveryFailure(f"{type(exc).__name__}: {exc}") from exc


def _send_slack(delivery: Delivery) -> None:
    firing = delivery.firing
    try:
        text = _plain_message(firing)
    except NotificationTemplateError as exc:
        raise DeliveryFailure(f"template: {exc}", retryable=False) from exc
    try:
        post_slack_message(
            delivery.unit_id,
            target_kind=delivery.target_kind,
            target_id=delivery.target,
            text=text,
        )
    except SlackDeliveryError as exc:
        raise DeliveryFailure(
            exc.message, retryable=exc.retryable, retry_after=exc.retry_after
        ) from exc
    EVENT_TO_SLACK_LATENCY.observe((timezone.now() - firing.event_received_at).total_seconds())
