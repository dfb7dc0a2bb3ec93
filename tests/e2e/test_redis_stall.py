"""A Redis stall (the server SIGSTOPped for 30 s) under steady ingest through the production web
server: requests keep answering in milliseconds, and once Redis is back every event ingested
meanwhile is scored and every request is in the audit log."""

import math
import os
import signal
import time
import uuid

import pytest
import requests

from leadvibe.audit import audit_log_flush
from leadvibe.embedded import RedisServer, free_port
from leadvibe.models import AuditLogEntry
from leadvibe.redis_client import get_redis
from scoring.models import EngagementEvent
from tests.e2e.processes import start_web, start_worker, stop_process, wait_until
from tests.e2e.test_ingest_pipeline import auth
from tests.factories import make_credential

pytestmark = pytest.mark.django_db(transaction=True)

STALL_SECONDS = 30
REQUEST_INTERVAL_SECONDS = 0.2  # 5 events a second


def ingest(port: int, credential, n: int) -> requests.Response:
    return requests.post(
        f"http://127.0.0.1:{port}/api/v1/events",
        json={
            "event_type": "page_view",
            "aliases": [{"alias_kind": "email", "raw_value": f"stall{n % 7}@x.test"}],
        },
        auth=auth(credential),
        headers={"X-Request-ID": uuid.uuid4().hex},
        timeout=10,
    )


def nearest_rank(values: list[float], percentile: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percentile / 100 * len(ordered)) - 1)]


def test_a_30_second_redis_stall_costs_milliseconds_and_loses_nothing(
    server_env, tmp_path, settings
):
    credential = make_credential()
    redis_server = RedisServer(tmp_path / "redis")
    env = {**server_env, "REDIS_URL": redis_server.attach_or_start(), "WORKER_SWEEP_SECONDS": "2"}
    port = free_port()
    web = start_web(env=env, port=port, log_dir=tmp_path, workers=2)
    worker = start_worker(env=env, log_dir=tmp_path)
    request_ids, latencies = [], []
    try:
        for n in range(4):  # both web workers verify the credential and connect to Redis
            assert ingest(port, credential, n).status_code == 202

        os.kill(redis_server.process.pid, signal.SIGSTOP)
        try:
            stall_ends = time.monotonic() + STALL_SECONDS
            n = 0
            while time.monotonic() < stall_ends:
                started = time.perf_counter()
                response = ingest(port, credential, n)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 202, response.text
                request_ids.append(response.request.headers["X-Request-ID"])
                n += 1
                time.sleep(max(0.0, REQUEST_INTERVAL_SECONDS - latencies[-1]))
        finally:
            os.kill(redis_server.process.pid, signal.SIGCONT)

        p50, p99 = nearest_rank(latencies, 50), nearest_rank(latencies, 99)
        print(
            f"\ningest during a {STALL_SECONDS} s Redis stall: {len(latencies)} requests, "
            f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
        )
        assert p99 <= 0.3

        ingested = 4 + len(request_ids)
        assert wait_until(
            lambda: (
                EngagementEvent.objects.unscoped().filter(status="processed").count() == ingested
            ),
            timeout=30,
        ), EngagementEvent.objects.unscoped().values("status").order_by().distinct()
        assert EngagementEvent.objects.unscoped().count() == ingested

        # Records queued in Redis (before the stall, and by probes Redis ran once it woke up)
        # are drained as beat would; the others went straight to PostgreSQL.
        settings.REDIS_URL = env["REDIS_URL"]
        get_redis.cache_clear()
        audit_log_flush()
        audited = set(
            AuditLogEntry.objects.filter(path="/api/v1/events").values_list("request_id", flat=True)
        )
        missing = [request_id for request_id in request_ids if request_id not in audited]
        assert not missing, f"{len(missing)} of {len(request_ids)} requests not audited"
    finally:
        get_redis.cache_clear()
        stop_process(worker)
        stop_process(web)
        redis_server.stop()
