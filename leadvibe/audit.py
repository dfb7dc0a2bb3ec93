"""The audit log of API requests: record, drain, prune and list.

- record: `AuditLogMiddleware` builds one JSON record per API request after the response and
  pushes it to a Redis list (`PENDING_KEY`); the request never writes to the database for it
  while Redis is up. When Redis cannot be reached the record is inserted straight into the
  database instead (logged and counted in `redis_unavailable{operation="audit_log"}`): an
  outage of Redis neither loses the record nor becomes an outage of the API;
- every text field is made storable where the record is built, whatever bytes the client
  sent: characters a PostgreSQL text column cannot hold (NUL, lone surrogates) are
  percent-encoded, as Django already shows undecodable bytes of a path, and values are cut to
  their column's length. The flush applies the same rules to whatever it reads from the list
  (records queued by an older release, or by anything else);
- drain: `audit_log_flush` (a Celery beat task every 2 seconds) pops a batch from the list
  atomically and inserts it with one `bulk_create`. One record never blocks the others: if the
  batch is refused for its data (SQLSTATE classes 22 and 23: with bound parameters no other
  error can come from a value), it is split in halves until the refused records stand alone;
  those, and records that cannot be parsed, go to the bounded dead-letter list
  (`DEAD_LETTER_KEY`) as they were queued, counted in `audit_log_dead_lettered{reason}`. Any
  other failure (database down, table missing) puts the records not yet stored back at the
  head of the list, in order, for the next run;
- prune: `audit_log_prune` deletes rows older than the retention, in chunks;
- list: `audit_log_entries` is the selector of the audit-log route.

Actors are read by duck typing, so this module imports no app above the platform:
`request.user` (a member: `.email`, `.org_id`), `request.auth` (an API credential:
`.client_id`, `.org_id`, `.unit_id`) and `request.ou` (the active OU: `.id`, `.org_id`).
Only `*_id` attributes are read, never relations, so recording runs no query.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import quote

from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from redis.exceptions import RedisError

from leadvibe.exceptions import ApplicationError
from leadvibe.logging import request_id_var
from leadvibe.metrics import AUDIT_LOG_DEAD_LETTERED, REDIS_UNAVAILABLE
from leadvibe.models import AuditLogEntry
from leadvibe.redis_client import get_redis

logger = logging.getLogger(__name__)

#: The Redis list of records waiting to be inserted (JSON strings, oldest first).
PENDING_KEY = "audit:pending"
#: Records kept in Redis at most while the database cannot take them (a few hundred bytes
#: each): past it the oldest are dropped, so a long database outage cannot fill the Redis
#: that is also the Celery broker.
MAX_PENDING = 500_000
#: The Redis list of records the flush could not store, exactly as they were queued (oldest
#: first), kept for inspection; past `MAX_DEAD_LETTERS` the oldest are dropped.
DEAD_LETTER_KEY = "audit:dead_letter"
MAX_DEAD_LETTERS = 10_000
#: Only these requests are recorded.
API_PATH_PREFIX = "/api/"

PRUNE_CHUNK_SIZE = 10_000
_INSERT_BATCH_SIZE = 1_000  # 11 parameters a row: well under PostgreSQL's 65,535 per query

_TEXT_COLUMN_LENGTHS = {
    name: AuditLogEntry._meta.get_field(name).max_length
    for name in (
        "org_id",
        "unit_id",
        "member_email",
        "credential_client_id",
        "method",
        "path",
        "request_id",
    )
}
_NULLABLE_TEXT_COLUMNS = {"org_id", "unit_id", "member_email", "credential_client_id"}
_UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


# --- Record --------------------------------------------------------------------------------
class AuditLogMiddleware:
    """Records each API request after its response; placed right after
    `RequestContextMiddleware`, so it sees the final status and the request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        arrived_at = timezone.now()
        started = time.perf_counter()
        response = self.get_response(request)
        latency_ms = (time.perf_counter() - started) * 1000
        audit_log_push(audit_log_record(request, response, arrived_at, latency_ms))
        return response


def audit_log_record(request, response, arrived_at: datetime, latency_ms: float) -> dict:
    """The JSON-ready, storable record of one request (never its body, headers or query
    string)."""
    user = getattr(request, "user", None)
    auth = getattr(request, "auth", None)
    credential = auth if hasattr(auth, "client_id") else None
    ou = getattr(request, "ou", None)
    texts = {
        "org_id": _first_id(
            getattr(ou, "org_id", None),
            getattr(credential, "org_id", None),
            getattr(user, "org_id", None),
        ),
        "unit_id": _first_id(getattr(ou, "id", None), getattr(credential, "unit_id", None)),
        "member_email": getattr(user, "email", None),
        "credential_client_id": getattr(credential, "client_id", None),
        "method": request.method,
        "path": request.path,
        "request_id": getattr(request, "id", None) or request_id_var.get(),
    }
    return {
        "created_at": arrived_at.isoformat(),
        **{name: _column_text(name, value) for name, value in texts.items()},
        "status": response.status_code,
        # The TCP peer. Behind a load balancer this is the proxy; the client's address from
        # X-Forwarded-For is put in REMOTE_ADDR by the proxy set-up (trusted hops only), not
        # read here from a header any client can forge.
        "ip": _ip_or_none(request.META.get("REMOTE_ADDR")),
        "latency_ms": round(latency_ms, 3),
    }


def _first_id(*values) -> str | None:
    for value in values:
        if value is not None and value != "":
            return str(value)
    return None


def _column_text(column: str, value) -> str | None:
    """`value` as its text column can store it: unstorable characters percent-encoded, cut to
    the column's length; None (nullable columns) or "" when there is nothing."""
    if value is None or value == "":
        return None if column in _NULLABLE_TEXT_COLUMNS else ""
    escaped = _UNSTORABLE_CHARACTERS.sub(
        lambda match: quote(match.group(), safe="", errors="surrogatepass"), str(value)
    )
    return escaped[: _TEXT_COLUMN_LENGTHS[column]]


def _ip_or_none(value) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def audit_log_push(record: dict) -> None:
    """Queues one record in Redis; inserts it straight into the database when Redis cannot be
    reached."""
    try:
        client = get_redis()
        pending = client.rpush(PENDING_KEY, json.dumps(record, separators=(",", ":")))
        if pending > MAX_PENDING:
            client.ltrim(PENDING_KEY, -MAX_PENDING, -1)
            logger.warning(
                "audit log backlog over its limit; oldest records dropped",
                extra={"pending": pending, "limit": MAX_PENDING},
            )
    except (RedisError, OSError) as exc:
        REDIS_UNAVAILABLE.labels(operation="audit_log").inc()
        _insert_without_redis(record, redis_error=exc)


def _insert_without_redis(record: dict, *, redis_error: Exception) -> None:
    try:
        with transaction.atomic():
            _entry_from_record(record).save()
    except DatabaseError:
        # Neither store takes it: the request is answered all the same.
        logger.exception(
            "audit log record lost: redis unavailable and the database insert failed",
            extra={"redis_error": str(redis_error), "path": record.get("path")},
        )
        return
    logger.warning(
        "redis unavailable; audit log record written straight to the database",
        extra={"error": str(redis_error), "path": record.get("path")},
    )


# --- Drain ---------------------------------------------------------------------------------
#: What parsing a record that is not one raises (bad JSON, missing keys, wrong types, numbers
#: out of range).
_MALFORMED = (ValueError, KeyError, TypeError, OverflowError)


class _Queued(NamedTuple):
    raw: bytes
    entry: AuditLogEntry


def audit_log_flush(*, max_batch: int = 5000) -> int:
    """Moves up to `max_batch` pending records from Redis to the database; the number inserted.

    The batch is taken atomically (LRANGE + LTRIM in one MULTI), so flushes running at the same
    time never insert a record twice. Records that cannot be parsed or that the database
    refuses are dead-lettered; if the database fails otherwise, the records not yet stored are
    put back at the head of the list, in order, and the error is raised (the next run retries).
    """
    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")
    client = get_redis()
    with client.pipeline(transaction=True) as pipe:
        pipe.lrange(PENDING_KEY, 0, max_batch - 1)
        pipe.ltrim(PENDING_KEY, max_batch, -1)
        raw_records, _ = pipe.execute()
    queued = []
    for raw in raw_records:
        try:
            queued.append(_Queued(raw, _entry_from_record(json.loads(raw))))
        except _MALFORMED as exc:
            _dead_letter(raw, reason="malformed", error=exc)
    return _insert_isolating_refused(queued)


def _insert_isolating_refused(queued: list[_Queued]) -> int:
    inserted = 0
    chunks = deque([queued] if queued else [])
    while chunks:
        chunk = chunks.popleft()
        try:
            with transaction.atomic():
                AuditLogEntry.objects.bulk_create(
                    [item.entry for item in chunk], batch_size=_INSERT_BATCH_SIZE
                )
        except (DataError, IntegrityError) as exc:
            if len(chunk) == 1:
                _dead_letter(chunk[0].raw, reason="refused", error=exc)
            else:
                middle = len(chunk) // 2
                chunks.extendleft([chunk[middle:], chunk[:middle]])
            continue
        except Exception:
            # These records have left the list already: whatever the failure, they go back.
            unsaved = [item.raw for part in (chunk, *chunks) for item in part]
            get_redis().lpush(PENDING_KEY, *reversed(unsaved))
            logger.warning(
                "audit log flush failed; batch put back", extra={"records": len(unsaved)}
            )
            raise
        inserted += len(chunk)
    return inserted


def _dead_letter(raw: bytes, *, reason: str, error: Exception) -> None:
    with get_redis().pipeline(transaction=True) as pipe:
        pipe.rpush(DEAD_LETTER_KEY, raw)
        pipe.ltrim(DEAD_LETTER_KEY, -MAX_DEAD_LETTERS, -1)
        pipe.execute()
    AUDIT_LOG_DEAD_LETTERED.labels(reason=reason).inc()
    logger.warning("audit log record dead-lettered", extra={"reason": reason, "error": str(error)})


def _entry_from_record(data: dict) -> AuditLogEntry:
    """The row of a record; one of `_MALFORMED` when the record is not one."""
    created_at = datetime.fromisoformat(data["created_at"])
    if timezone.is_naive(created_at):
        created_at = created_at.replace(tzinfo=UTC)
    status = int(data["status"])
    if not 0 <= status <= 32767:
        raise ValueError(f"status out of range: {status}")
    return AuditLogEntry(
        created_at=created_at,
        org_id=_column_text("org_id", data.get("org_id")),
        unit_id=_column_text("unit_id", data.get("unit_id")),
        member_email=_column_text("member_email", data.get("member_email")),
        credential_client_id=_column_text("credential_client_id", data.get("credential_client_id")),
        method=_column_text("method", data["method"]),
        path=_column_text("path", data["path"]),
        status=status,
        ip=_ip_or_none(data.get("ip")),
        latency_ms=float(data["latency_ms"]),
        request_id=_column_text("request_id", data.get("request_id")),
    )


# --- Prune ---------------------------------------------------------------------------------
def audit_log_prune(*, older_than_days: int, chunk_size: int = PRUNE_CHUNK_SIZE) -> int:
    """Deletes entries older than `older_than_days` days, `chunk_size` rows per statement (short
    locks, no giant transaction); the number deleted."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = AuditLogEntry.objects.filter(created_at__lt=cutoff)
    deleted = 0
    while ids := list(old.values_list("id", flat=True)[:chunk_size]):
        count, _ = AuditLogEntry.objects.filter(id__in=ids).delete()
        deleted += count
    return deleted


# --- List ----------------------------------------------------------------------------------
#: The route's sort options and the column each one sorts.
SORT_FIELDS = {
    "created_at": "created_at",
    "user_email": "member_email",
    "method": "method",
    "path": "path",
    "status": "status",
    "ip": "ip",
    "latency_ms": "latency_ms",
}
SORT_ORDERS = ("asc", "desc")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_NULLABLE_SORT_COLUMNS = {"member_email", "ip"}


def audit_log_entries(
    *,
    org_id: str,
    unit_id: str | None = None,
    search: str | None = None,
    method: str | None = None,
    status_min: int | None = None,
    status_max: int | None = None,
    user_email: str | None = None,
    sort_by: str = "created_at",
    sort_order: str = "desc",
) -> QuerySet[AuditLogEntry]:
    """The organization's entries (only that OU's with `unit_id`), filtered and sorted.

    - `search`: case-insensitive substring of the path, member email, client id or IP;
    - `method`: one of `METHODS` (any case); `status_min` / `status_max`: inclusive bounds;
    - `user_email`: the member's email (case-insensitive: emails are stored lower-cased);
    - `sort_by`: a key of `SORT_FIELDS`; `sort_order`: asc or desc (any case). Ties are broken
      by id in the same direction, so pages are stable; missing emails and IPs sort last.

    Unknown `sort_by`, `sort_order` or `method` raise `ApplicationError` (400).
    """
    column = SORT_FIELDS.get(sort_by)
    if column is None:
        raise ApplicationError(
            f"Invalid sort_by {sort_by!r}",
            details={"sort_by": [f"Must be one of: {', '.join(SORT_FIELDS)}."]},
        )
    order = (sort_order or "").lower()
    if order not in SORT_ORDERS:
        raise ApplicationError(
            f"Invalid sort_order {sort_order!r}",
            details={"sort_order": ["Must be one of: asc, desc."]},
        )

    entries = AuditLogEntry.objects.filter(org_id=org_id)
    if unit_id is not None:
        entries = entries.filter(unit_id=unit_id)
    if search:
        entries = entries.filter(
            Q(path__icontains=search)
            | Q(member_email__icontains=search)
            | Q(credential_client_id__icontains=search)
            | Q(ip__icontains=search)
        )
    if method:
        if method.upper() not in METHODS:
            raise ApplicationError(
                f"Invalid method {method!r}",
                details={"method": [f"Must be one of: {', '.join(METHODS)}."]},
            )
        entries = entries.filter(method=method.upper())
    if status_min is not None:
        entries = entries.filter(status__gte=status_min)
    if status_max is not None:
        entries = entries.filter(status__lte=status_max)
    if user_email:
        entries = entries.filter(member_email__iexact=user_email)

    # NULLS LAST only on nullable columns: on the others it would keep PostgreSQL from reading
    # the (org_id, -created_at) index in order.
    nulls_last = True if column in _NULLABLE_SORT_COLUMNS else None
    if order == "desc":
        return entries.order_by(F(column).desc(nulls_last=nulls_last), F("id").desc())
    return entries.order_by(F(column).asc(nulls_last=nulls_last), F("id").asc())


def audit_log_request_count(*, org_id: str, unit_id: str | None, since: datetime) -> int:
    """API requests of the organization (or of one OU) recorded since `since`."""
    entries = AuditLogEntry.objects.filter(org_id=org_id, created_at__gte=since)
    if unit_id is not None:
        entries = entries.filter(unit_id=unit_id)
    return entries.count()
