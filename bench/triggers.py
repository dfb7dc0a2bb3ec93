"""Triggers: what evaluating them costs the scoring pipeline, how fast a firing reaches a
webhook receiver, and how fast the live stream fans out.

- throughput: the same scoring run as bench/scoring.py (2 Celery worker processes, 2
  rulesets x 50 rules, 3 inorganic filters, standard surge, 100,000 leads) with no trigger
  and with 100 active triggers (40 milestones, 20 ordered/unordered sequences, 20 patterns,
  20 surges over the same event types), alternated `--runs` times in one stack; each run
  scores `--events` new pending events later than the previous run's (no replays). The
  triggers' firings are recorded as they would be; they have no destinations, so the
  workers spend their time on scoring and evaluation, not on sending.
- webhook latency: a second OU whose one rule gives every event 10 points and whose
  milestone (threshold 5, one webhook) fires on each new lead's first event; events for
  fresh leads at about `--rate`/s, sent by wrk through gunicorn (on 2 shared cores the web
  server cannot take 500/s while workers score), then stored by this process as ingestion
  stores them (the pipeline's own latency at the full rate); 2 workers score, a third
  takes the `deliveries` queue (as docker-compose runs it); the receiver (127.0.0.1, in
  this process) stamps each request. Latency = receipt - the event's `received_at`, for the
  events received after a 5 s warm-up.
- stream: `bench/stream_clients.py`'s run (500 SSE clients on one ASGI stream process).

Run: `python bench/triggers.py [--events 40000] [--runs 3] [--rate 500] [--seconds 10]`
(needs `wrk`: apt-get install wrk).
"""

import argparse
import base64
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scoring import TYPES, configure, pending_count, seed_leads, start_workers
from bench.stack import latency_summary, running_stack_with_django

PACED_DELAY_MS = 40
# The latency run's first seconds (connections, caches, the first batches) are not measured.
WARM_UP_SECONDS = 5
EVENT_SPACING_MS = 10
# Each run's events go to this many of the 100,000 leads (8 each at 40,000 events, spread
# over 400 s of event time), so that windows fill and triggers fire.
ACTIVE_LEADS = 5000
RUN_SPACING = datetime.timedelta(days=1)


def seed_run(cursor, unit, events: int, run: int) -> None:
    """`events` pending events over `ACTIVE_LEADS` of the leads, all later than those of the
    previous runs (so no lead replays)."""
    origin = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) + run * RUN_SPACING
    cursor.execute(
        "INSERT INTO scoring_engagementevent (org_id, unit_id, lead_id, event_type, occurred_at,"
        " received_at, channel, metadata, source, status) "
        "SELECT %(org)s, %(unit)s, l.id, 'type_' || (n %% 60), "
        "       %(origin)s + make_interval(secs => n * %(spacing)s / 1000.0), now(), 'web', "
        "       jsonb_build_object('path', '/p/' || n %% 50), 'api', 'pending' "
        "FROM generate_series(1, %(events)s) n JOIN scoring_lead l "
        "  ON l.unit_id = %(unit)s AND l.lead_id = 'lead-' || (1 + (n * 7919) %% %(leads)s)",
        {"org": unit.org_id, "unit": unit.id, "events": events, "leads": ACTIVE_LEADS,
         "origin": origin, "spacing": EVENT_SPACING_MS},
    )  # fmt: skip
    cursor.execute("ANALYZE scoring_engagementevent")


def create_triggers(unit) -> None:
    from triggers.models import Trigger

    def trigger(kind, **fields):
        return Trigger(org_id=unit.org_id, unit=unit, kind=kind, active=False, **fields)

    # Thresholds and windows a lead reaches now and then, not on every event: a few
    # firings per hundred events.
    rows = [
        trigger("milestone", score_threshold=25 * (n + 1), fire_mode=("once", "always")[n % 2],
                cooldown_seconds=3600, event_type=TYPES[n] if n % 4 == 0 else "")
        for n in range(40)
    ] + [
        trigger("sequence", event_steps=[TYPES[n], TYPES[n + 1], TYPES[n + 2]],
                ordered=n % 2 == 0, window_seconds=3600)
        for n in range(20)
    ] + [
        trigger("pattern", window_seconds=600,
                conditions=[{"event_type": TYPES[n + 20], "min_count": 2},
                            {"event_type": TYPES[n + 21], "min_count": 1}])
        for n in range(20)
    ] + [
        trigger("surge", event_type=TYPES[n + 40] if n % 2 else "", threshold_count=5 + n,
                window_seconds=120)
        for n in range(20)
    ]  # fmt: skip
    Trigger.objects.bulk_create(rows)


def set_triggers_active(unit, active: bool) -> None:
    from scoring.services.scoring_config import scoring_config_changed
    from triggers.models import Trigger

    Trigger.objects.for_ou(unit).update(active=active)
    scoring_config_changed(unit)


def alternated_throughput(unit, env: dict, *, events: int, runs: int, variants: dict) -> dict:
    """Events/s of each variant (label -> a callable that sets it up), alternated `runs` times
    in one stack: 2 worker processes score `events` new pending events per run."""
    from django.db import connection

    from scoring.services.pipeline import ring_doorbell

    figures: dict[str, list[float]] = {label: [] for label in variants}
    workers = start_workers({**env, "WORKER_SWEEP_SECONDS": "1"}, 2)
    try:
        time.sleep(5)
        run = 0
        for _ in range(runs):
            for label, set_up in variants.items():
                set_up()
                with connection.cursor() as cursor:
                    seed_run(cursor, unit, events, run)
                run += 1
                started = time.perf_counter()
                ring_doorbell()
                with connection.cursor() as cursor:
                    while pending_count(cursor):
                        time.sleep(0.1)
                figures[label].append(events / (time.perf_counter() - started))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    return figures


def throughput_runs(unit, env: dict, args) -> dict:
    from triggers.models import Firing

    create_triggers(unit)
    figures = alternated_throughput(
        unit, env, events=args.events, runs=args.runs,
        variants={"none": lambda: set_triggers_active(unit, False),
                  "100 triggers": lambda: set_triggers_active(unit, True)},
    )  # fmt: skip
    return {
        "none": figures["none"],
        "triggers": figures["100 triggers"],
        "firings": Firing.objects.for_ou(unit).count(),
    }


class Receiver:
    """Stamps each webhook request: webhook-id -> time received."""

    def __init__(self):
        self.received: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received[self.headers["webhook-id"]] = time.time()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # socketserver's 5 drops concurrent connects (1 s retry)

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


PACED_LUA = """
local n = 0
local thread_id = 0
function setup(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
function request()
  n = n + 1
  local body = string.format('{"event_type":"ping","lead_id":"fresh-%%d-%%d"}', tid, n)
  return wrk.format("POST", "/api/v1/events", {["Content-Type"]="application/json",
    ["Authorization"]="%(auth)s"}, body)
end
function delay() return %(delay)d end
"""


def insert_paced(ou, rate: float, seconds: float) -> None:
    """Stores events for the fresh leads at `rate`/s the way ingestion stores them (pending
    rows stamped `received_at = now()`, then the doorbell), every 20 ms."""
    from django.db import connection

    from scoring.services.pipeline import ring_doorbell

    tick = 0.02
    per_tick = max(1, round(rate * tick))
    started = time.perf_counter()
    sent = 0
    while time.perf_counter() - started < seconds:
        names = [f"fresh-1-{n}" for n in range(sent + 1, sent + per_tick + 1)]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO scoring_engagementevent (org_id, unit_id, lead_id, event_type, "
                "occurred_at, received_at, channel, metadata, source, status) "
                "SELECT org_id, unit_id, id, 'ping', now(), now(), 'web', '{}', 'api', 'pending' "
                "FROM scoring_lead WHERE unit_id = %s AND lead_id = ANY(%s)",
                [ou.id, names],
            )
        ring_doorbell()
        sent += per_tick
        time.sleep(max(0.0, started + sent / rate - time.perf_counter()))


def latency_run(base_url: str, env: dict, unit, args, *, via: str) -> dict:
    """`via`: `http` (wrk through gunicorn) or `store` (`insert_paced`, no HTTP)."""
    from orgunits.services import api_credential_create
    from scoring.models import Rule, Ruleset
    from scoring.services.scoring_config import scoring_config_changed
    from triggers.models import Delivery, Trigger

    receiver = Receiver()
    ou = type(unit).objects.create(org_id=unit.org_id, name=f"Latency {via}", slug=f"lat-{via}")
    ruleset = Ruleset.objects.create(org_id=ou.org_id, unit=ou, name="Main", is_primary=True)
    Rule.objects.create(org_id=ou.org_id, unit=ou, ruleset=ruleset, event_type="ping", weight=10)
    Trigger.objects.create(
        org_id=ou.org_id, unit=ou, kind="milestone", score_threshold=5, webhook_url=receiver.url
    )
    scoring_config_changed(ou)
    issued = api_credential_create(unit=ou, name="latency")
    # Each connection waits PACED_DELAY_MS, then as long as the answer takes (~60 ms here
    # under this load): connections for the rate asked.
    connections = max(1, round(args.rate * (PACED_DELAY_MS + 60) / 1000))
    expected = int(args.rate * (args.seconds + WARM_UP_SECONDS) * 1.5)
    from django.db import connection

    with connection.cursor() as cursor:
        # Fresh leads for every request wrk can send (thread t, request n: fresh-t-n).
        cursor.execute(
            "INSERT INTO scoring_lead (lead_id, org_id, unit_id, metadata, created_at, "
            "updated_at) SELECT 'fresh-' || t || '-' || n, %s, %s, '{}', now(), now() "
            "FROM generate_series(1, 2) t, generate_series(1, %s) n",
            [ou.org_id, ou.id, expected],
        )
    token = f"{issued.credential.client_id}:{issued.client_secret}".encode()
    script = PACED_LUA % {
        "auth": "Basic " + base64.b64encode(token).decode(),
        "delay": PACED_DELAY_MS,
    }
    worker_env = {**env, "WORKER_SWEEP_SECONDS": "1", "OUTBOUND_ALLOWED_NETWORKS": "loopback"}
    workers = [
        *start_workers(worker_env, 2),
        *start_workers(worker_env, 1, queues="deliveries", name="notifier"),
    ]
    try:
        time.sleep(5)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
            file.write(script)
        started = time.time()
        if via == "http":
            subprocess.run(
                ["wrk", "-t", "2", "-c", str(connections),
                 "-d", f"{args.seconds + WARM_UP_SECONDS:.0f}s",
                 "-s", file.name, base_url],
                check=True, capture_output=True,
            )  # fmt: skip
        else:
            insert_paced(ou, args.rate, args.seconds + WARM_UP_SECONDS)
        sent_for = time.time() - started - WARM_UP_SECONDS
        os.unlink(file.name)
        time.sleep(5)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    deliveries = (
        Delivery.objects.for_ou(ou)
        .filter(
            firing__event_received_at__gte=datetime.datetime.fromtimestamp(
                started + WARM_UP_SECONDS, datetime.UTC
            ),
        )
        .values_list("id", "firing__event_received_at")
    )
    latencies = sorted(
        (receiver.received[f"msg_{delivery_id}"] - received_at.timestamp()) * 1000
        if f"msg_{delivery_id}" in receiver.received
        else float("inf")
        for delivery_id, received_at in deliveries
    )

    return {
        "rate": len(latencies) / sent_for,
        "count": len(latencies),
        **latency_summary(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--skip", choices=["throughput", "latency", "stream"], action="append",
                        default=[])  # fmt: skip
    args = parser.parse_args()

    with running_stack_with_django(web_workers=2, web_threads=4, celery_worker=False) as stack:
        from django.db import connection

        if "throughput" not in args.skip:
            configure(stack.unit)
            with connection.cursor() as cursor:
                seed_leads(cursor, stack.unit)
            throughput = throughput_runs(stack.unit, stack.env, args)
            none = statistics.median(throughput["none"])
            with_triggers = statistics.median(throughput["triggers"])
            print(
                f"scoring throughput, 2 workers, {args.events:,} events per run, median of "
                f"{args.runs}: no trigger {none:,.0f} events/s "
                f"({', '.join(f'{v:,.0f}' for v in throughput['none'])}); "
                f"100 active triggers {with_triggers:,.0f} events/s "
                f"({', '.join(f'{v:,.0f}' for v in throughput['triggers'])}); "
                f"ratio {with_triggers / none:.2f}   target >= 0.80 "
                f"({throughput['firings']:,} firings recorded)"
            )
        if "latency" not in args.skip:
            for via, how in (("http", "POST /events by wrk"), ("store", "stored, no HTTP")):
                latency = latency_run(stack.base_url, stack.env, stack.unit, args, via=via)
                print(
                    f"event ingested ({how}) -> webhook received, at {latency['rate']:,.0f} "
                    f"events/s ({latency['count']:,} webhooks): p50 {latency['p50']:.0f} ms, "
                    f"p95 {latency['p95']:.0f} ms, p99 {latency['p99']:.0f} ms "
                    f"({latency['missing']} never received)   target p95 <= 500 at 500/s"
                )
    if "stream" not in args.skip:
        from bench.stream_clients import main as stream_main

        stream_main([])  # its own stack: 500 clients, 10 rounds, median of 3 runs


if __name__ == "__main__":
    main()
