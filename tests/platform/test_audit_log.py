"""Audit log: recorded to Redis off the request's database path, drained in batches, pruned,
listed per organization. Real PostgreSQL and Redis (the embedded test servers)."""

import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import path
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from leadvibe import audit
from leadvibe.audit import (
    DEAD_LETTER_KEY,
    PENDING_KEY,
    audit_log_entries,
    audit_log_flush,
    audit_log_prune,
)
from leadvibe.exceptions import ApplicationError
from leadvibe.metrics import AUDIT_LOG_DEAD_LETTERED, REDIS_UNAVAILABLE
from leadvibe.models import AuditLogEntry
from leadvibe.redis_client import get_redis
from leadvibe.tasks import audit_log_flush_task, audit_log_prune_task
from tests.api_clients import credential_authorization
from tests.factories import make_credential, make_member, make_membership, make_unit

pytestmark = pytest.mark.django_db


# --- A route that authenticates callers the way the product's views do, by duck typing ------
class _HeaderAuthentication(BaseAuthentication):
    def authenticate(self, request):
        kind = request.headers.get("X-Test-Actor")
        if kind == "member":
            return SimpleNamespace(email="ana@example.com", org_id="org_a"), None
        if kind == "credential":
            credential = SimpleNamespace(client_id="lv_abc", org_id="org_a", unit_id="ou_a")
            return SimpleNamespace(email=None, org_id="org_a"), credential
        return None


class _ActorView(APIView):
    authentication_classes = [_HeaderAuthentication]
    permission_classes = [AllowAny]  # the audit log records anonymous callers too

    def get(self, request):
        if request.headers.get("X-Test-OU"):
            request._request.ou = SimpleNamespace(id=request.headers["X-Test-OU"], org_id="org_a")
        return Response({"ok": True})


urlpatterns = [path("api/v1/_audit/actor", _ActorView.as_view())]


# --- Fixtures and helpers --------------------------------------------------------------------
@pytest.fixture(autouse=True)
def empty_audit_lists():
    get_redis().delete(PENDING_KEY, DEAD_LETTER_KEY)
    yield
    get_redis().delete(PENDING_KEY, DEAD_LETTER_KEY)


def pending() -> list[dict]:
    return [json.loads(raw) for raw in get_redis().lrange(PENDING_KEY, 0, -1)]


def dead_letters() -> list[bytes]:
    return get_redis().lrange(DEAD_LETTER_KEY, 0, -1)


def dead_lettered_count(reason: str) -> float:
    return AUDIT_LOG_DEAD_LETTERED.labels(reason=reason)._value.get()


def stored_paths() -> list[str]:
    return list(AuditLogEntry.objects.order_by("id").values_list("path", flat=True))


def queued_record(**fields) -> str:
    """A record as a client of the list (an older release, say) may have queued it."""
    record = {
        "created_at": timezone.now().isoformat(),
        "method": "GET",
        "path": "/api/v1/leads",
        "status": 200,
        "latency_ms": 1.0,
        "request_id": "r",
    }
    record.update(fields)
    return json.dumps(record)


def make_entry(**fields) -> AuditLogEntry:
    values = {
        "created_at": timezone.now(),
        "org_id": "org_a",
        "unit_id": "ou_a",
        "member_email": "ana@example.com",
        "credential_client_id": None,
        "method": "GET",
        "path": "/api/v1/leads",
        "status": 200,
        "ip": "10.0.0.1",
        "latency_ms": 5.0,
        "request_id": "r",
    }
    values.update(fields)
    return AuditLogEntry.objects.create(**values)


def ids(entries) -> list[int]:
    return [entry.id for entry in entries]


# --- Recording -------------------------------------------------------------------------------
def test_api_request_is_queued_in_redis_and_inserted_only_by_the_flush(api_client):
    response = api_client.get("/api/v1/nope?token=s3cret", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 404

    [record] = pending()
    assert record["path"] == "/api/v1/nope"
    assert "s3cret" not in json.dumps(record)
    assert not AuditLogEntry.objects.exists()

    assert audit_log_flush() == 1
    assert pending() == []
    entry = AuditLogEntry.objects.get()
    assert (entry.method, entry.path, entry.status) == ("GET", "/api/v1/nope", 404)
    assert entry.request_id == "req-1" == response["X-Request-ID"]
    assert entry.latency_ms > 0
    assert entry.ip == "127.0.0.1"
    assert abs(timezone.now() - entry.created_at) < timedelta(minutes=1)
    # Anonymous: nothing known of the caller.
    assert (entry.org_id, entry.unit_id, entry.member_email, entry.credential_client_id) == (
        None,
        None,
        None,
        None,
    )


def test_failed_post_is_recorded_with_its_status_and_generated_request_id(api_client):
    response = api_client.post("/api/v1/auth/login", {}, format="json")
    assert response.status_code == 400

    assert audit_log_flush() == 1
    entry = AuditLogEntry.objects.get()
    assert (entry.method, entry.path, entry.status) == ("POST", "/api/v1/auth/login", 400)
    assert entry.request_id == response["X-Request-ID"]
    assert len(entry.request_id) == 32


@pytest.mark.parametrize("url", ["/healthz", "/readyz", "/metrics", "/", "/no/such/page"])
def test_requests_outside_the_api_are_not_recorded(api_client, url):
    api_client.get(url)
    assert pending() == []


def test_recording_adds_no_database_query_to_the_request(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert api_client.get("/api/v1/nope").status_code == 404
    assert len(pending()) == 1


@pytest.mark.urls(__name__)
def test_member_caller_is_recorded(api_client):
    api_client.get("/api/v1/_audit/actor", HTTP_X_TEST_ACTOR="member", HTTP_X_TEST_OU="ou_b")
    [record] = pending()
    assert record["member_email"] == "ana@example.com"
    assert (record["org_id"], record["unit_id"]) == ("org_a", "ou_b")
    assert record["credential_client_id"] is None


@pytest.mark.urls(__name__)
def test_api_credential_caller_is_recorded(api_client):
    api_client.get("/api/v1/_audit/actor", HTTP_X_TEST_ACTOR="credential")
    [record] = pending()
    assert record["credential_client_id"] == "lv_abc"
    assert (record["org_id"], record["unit_id"]) == ("org_a", "ou_a")
    assert record["member_email"] is None
    assert audit_log_flush() == 1
    assert AuditLogEntry.objects.get().credential_client_id == "lv_abc"


def test_real_callers_are_recorded_member_jwt_and_api_credential(api_client):
    unit = make_unit()
    owner = make_member(unit.org, email="owner@acme.test", password="a-long-password")
    make_membership(unit, owner, "Owner")
    access = api_client.post(
        "/api/v1/auth/login",
        {"email": "owner@acme.test", "password": "a-long-password"},
        format="json",
    ).json()["access"]
    issued = make_credential(unit)
    get_redis().delete(PENDING_KEY)

    api_client.get("/api/v1/secrets", HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_X_OU_ID=unit.id)
    refused = api_client.get("/api/v1/secrets", HTTP_AUTHORIZATION=credential_authorization(issued))
    assert refused.status_code == 403  # a JWT-only route: recorded all the same

    assert audit_log_flush() == 2
    by_member, by_credential = AuditLogEntry.objects.order_by("id")
    assert (by_member.status, by_member.member_email, by_member.credential_client_id) == (
        200,
        "owner@acme.test",
        None,
    )
    assert (by_member.org_id, by_member.unit_id) == (unit.org_id, unit.id)
    assert by_credential.credential_client_id == issued.credential.client_id
    assert (by_credential.org_id, by_credential.unit_id) == (unit.org_id, unit.id)
    assert by_credential.member_email is None


def test_request_is_written_straight_to_the_database_when_redis_is_unreachable(
    api_client, unreachable_redis, caplog
):
    counter = REDIS_UNAVAILABLE.labels(operation="audit_log")
    before = counter._value.get()
    with caplog.at_level(logging.WARNING, logger="leadvibe.audit"):
        response = api_client.get("/api/v1/nope", HTTP_X_REQUEST_ID="req-offline")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "error": "Not Found"}
    assert counter._value.get() == before + 1
    [record] = [r for r in caplog.records if r.name == "leadvibe.audit"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None

    entry = AuditLogEntry.objects.get()
    assert (entry.method, entry.path, entry.status) == ("GET", "/api/v1/nope", 404)
    assert entry.request_id == "req-offline"


# --- Hostile input -----------------------------------------------------------------------------
def test_path_with_nul_and_invalid_escapes_is_stored_escaped_and_never_stops_the_flush(
    api_client,
):
    response = api_client.get("/api/v1/a%00b%ff%c3%28%zz?q=%00%ff%")
    assert response.status_code == 400
    api_client.get("/api/v1/after")

    assert pending()[0]["path"] == "/api/v1/a%00b%FF%C3(%zz"
    assert audit_log_flush() == 2
    assert stored_paths() == ["/api/v1/a%00b%FF%C3(%zz", "/api/v1/after"]
    api_client.get("/api/v1/later")
    assert audit_log_flush() == 1
    assert dead_letters() == []


def test_unstorable_text_already_queued_is_escaped_and_cut_to_its_column(api_client):
    get_redis().rpush(
        PENDING_KEY,
        queued_record(
            path="/api/v1/\x00" + "p" * 3000,
            member_email="\ud800ana\x00@example.com",
            request_id="req\x00" + "r" * 100,
            method="G\x00ET",
        ),
    )
    api_client.get("/api/v1/after")

    assert audit_log_flush() == 2
    escaped, after = AuditLogEntry.objects.order_by("id")
    assert escaped.path == ("/api/v1/%00" + "p" * 3000)[:2048]
    assert escaped.member_email == "%ED%A0%80ana%00@example.com"
    assert escaped.request_id == ("req%00" + "r" * 100)[:64]
    assert escaped.method == "G%00ET"
    assert after.path == "/api/v1/after"


def test_record_the_database_refuses_is_dead_lettered_and_the_rest_of_the_batch_is_stored(
    api_client,
):
    # A rule the records break only in the database: the flush cannot foresee it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {AuditLogEntry._meta.db_table} "
            "ADD CONSTRAINT refuse_some CHECK (path NOT LIKE '%%/refused%%')"
        )
    paths = [f"/api/v1/{name}" for name in ("a", "refused-1", "b", "c", "d", "e", "refused-2")]
    for url in paths:
        api_client.get(url)
    refused_before = dead_lettered_count("refused")

    assert audit_log_flush() == 5
    assert stored_paths() == [p for p in paths if "refused" not in p]
    assert [json.loads(raw)["path"] for raw in dead_letters()] == [
        "/api/v1/refused-1",
        "/api/v1/refused-2",
    ]
    assert dead_lettered_count("refused") == refused_before + 2
    assert pending() == []

    api_client.get("/api/v1/next")
    assert audit_log_flush() == 1
    assert stored_paths()[-1] == "/api/v1/next"


def test_dead_letter_list_keeps_only_the_newest(api_client, monkeypatch):
    monkeypatch.setattr(audit, "MAX_DEAD_LETTERS", 2)
    get_redis().rpush(PENDING_KEY, "bad 1", "bad 2", "bad 3")
    assert audit_log_flush() == 0
    assert dead_letters() == [b"bad 2", b"bad 3"]


# --- Draining --------------------------------------------------------------------------------
def test_flush_takes_at_most_max_batch_in_arrival_order(api_client):
    for n in range(5):
        api_client.get(f"/api/v1/nope-{n}")
    assert audit_log_flush(max_batch=3) == 3
    assert len(pending()) == 2
    assert audit_log_flush(max_batch=3) == 2
    assert audit_log_flush(max_batch=3) == 0
    paths = list(AuditLogEntry.objects.order_by("id").values_list("path", flat=True))
    assert paths == [f"/api/v1/nope-{n}" for n in range(5)]


def test_flush_dead_letters_malformed_records_and_keeps_the_rest(api_client):
    malformed = [
        b"not json",
        b"\xff\xfe",
        b"[1]",
        json.dumps({"path": "/api/v1/x"}).encode(),
        queued_record(status=10**400).encode(),
        queued_record(latency_ms=10**400).encode(),
    ]
    get_redis().rpush(PENDING_KEY, *malformed)
    api_client.get("/api/v1/nope")
    malformed_before = dead_lettered_count("malformed")

    assert audit_log_flush() == 1
    assert pending() == []
    assert AuditLogEntry.objects.get().path == "/api/v1/nope"
    assert dead_letters() == malformed
    assert dead_lettered_count("malformed") == malformed_before + len(malformed)


def test_flush_puts_the_batch_back_when_the_insert_fails(api_client):
    api_client.get("/api/v1/one")
    api_client.get("/api/v1/two")

    def flush_with_the_table_renamed():
        # A real insert failure, within a savepoint that the error rolls back.
        table = AuditLogEntry._meta.db_table
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
            audit_log_flush()

    with pytest.raises(DatabaseError):
        flush_with_the_table_renamed()
    assert [record["path"] for record in pending()] == ["/api/v1/one", "/api/v1/two"]
    assert audit_log_flush() == 2


def test_flush_task_drains_the_list(api_client):
    api_client.get("/api/v1/nope")
    assert audit_log_flush_task() == 1
    assert AuditLogEntry.objects.count() == 1


def test_beat_schedules_the_flush_every_two_seconds_and_a_daily_prune(settings):
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule[audit_log_flush_task.name] == 2.0
    assert schedule[audit_log_prune_task.name] == timedelta(days=1)


# --- Retention -------------------------------------------------------------------------------
def test_prune_deletes_only_rows_older_than_the_retention():
    now = timezone.now()
    old = [make_entry(created_at=now - timedelta(days=91 + n)) for n in range(5)]
    kept = [make_entry(created_at=now - timedelta(days=89)), make_entry(created_at=now)]
    assert audit_log_prune(older_than_days=90, chunk_size=2) == len(old)
    assert set(AuditLogEntry.objects.values_list("id", flat=True)) == set(ids(kept))


def test_prune_task_uses_the_retention_setting_and_zero_keeps_everything(settings):
    make_entry(created_at=timezone.now() - timedelta(days=10))
    settings.AUDIT_LOG_RETENTION_DAYS = 0
    assert audit_log_prune_task() == 0
    settings.AUDIT_LOG_RETENTION_DAYS = 7
    assert audit_log_prune_task() == 1
    assert not AuditLogEntry.objects.exists()


# --- Selector --------------------------------------------------------------------------------
@pytest.fixture
def entries():
    now = timezone.now()
    return {
        "login": make_entry(
            created_at=now - timedelta(minutes=3),
            method="POST",
            path="/api/v1/auth/login",
            status=401,
            member_email=None,
            ip="192.168.7.9",
            latency_ms=30.0,
        ),
        "leads": make_entry(
            created_at=now - timedelta(minutes=2), path="/api/v1/leads", latency_ms=10.0
        ),
        "ingest": make_entry(
            created_at=now - timedelta(minutes=1),
            method="POST",
            path="/api/v1/events",
            status=202,
            member_email=None,
            credential_client_id="lv_ingest",
            unit_id="ou_other",
            latency_ms=2.0,
        ),
        "bob": make_entry(
            created_at=now,
            path="/api/v1/segments",
            member_email="bob@example.com",
            status=500,
            latency_ms=20.0,
        ),
        "other_org": make_entry(
            org_id="org_b", created_at=now, path="/api/v1/leads", member_email="ana@example.com"
        ),
    }


def test_selector_lists_one_org_newest_first(entries):
    assert ids(audit_log_entries(org_id="org_a")) == ids(
        [entries["bob"], entries["ingest"], entries["leads"], entries["login"]]
    )
    assert ids(audit_log_entries(org_id="org_b")) == [entries["other_org"].id]
    assert ids(audit_log_entries(org_id="org_a", unit_id="ou_other")) == [entries["ingest"].id]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"search": "LEADS"}, ["leads"]),
        ({"search": "ANA@"}, ["leads"]),
        ({"search": "lv_ing"}, ["ingest"]),
        ({"search": "192.168.7"}, ["login"]),
        ({"search": "%"}, []),
        ({"method": "post"}, ["ingest", "login"]),
        ({"status_min": 400}, ["bob", "login"]),
        ({"status_max": 202}, ["ingest", "leads"]),
        ({"status_min": 200, "status_max": 299}, ["ingest", "leads"]),
        ({"user_email": "BOB@example.com"}, ["bob"]),
        ({"user_email": "ana@example.com", "search": "/api"}, ["leads"]),
    ],
)
def test_selector_filters_never_leave_the_org(entries, filters, expected):
    found = audit_log_entries(org_id="org_a", **filters)
    assert ids(found) == [entries[name].id for name in expected]


@pytest.mark.parametrize(
    ("sort_by", "sort_order", "expected"),
    [
        ("latency_ms", "asc", ["ingest", "leads", "bob", "login"]),
        ("latency_ms", "DESC", ["login", "bob", "leads", "ingest"]),
        ("created_at", "ASC", ["login", "leads", "ingest", "bob"]),
        ("status", "desc", ["bob", "login", "ingest", "leads"]),
        ("path", "asc", ["login", "ingest", "leads", "bob"]),
        # Equal methods keep id order; missing emails sort last either way.
        ("method", "asc", ["leads", "bob", "login", "ingest"]),
        ("user_email", "asc", ["leads", "bob", "login", "ingest"]),
        ("user_email", "desc", ["bob", "leads", "ingest", "login"]),
    ],
)
def test_selector_sorts_by_each_whitelisted_column(entries, sort_by, sort_order, expected):
    found = audit_log_entries(org_id="org_a", sort_by=sort_by, sort_order=sort_order)
    assert ids(found) == [entries[name].id for name in expected]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"sort_by": "secret_hash"}, "sort_by"),
        ({"sort_by": "member_email"}, "sort_by"),
        ({"sort_order": "sideways"}, "sort_order"),
        ({"method": "TRACE"}, "method"),
    ],
)
def test_selector_rejects_unknown_sort_and_method(arguments, field):
    with pytest.raises(ApplicationError) as raised:
        audit_log_entries(org_id="org_a", **arguments)
    assert type(raised.value) is ApplicationError  # a 400, not a more specific error
    assert list(raised.value.details) == [field]
    assert raised.value.details[field]
