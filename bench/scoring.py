"""Scoring throughput and latency with real worker processes, with the ceiling measured in the
same run.

The stack: embedded PostgreSQL and Redis, gunicorn (2 workers x 4 threads) and `--workers`
Celery worker processes. The OU has 2 active rulesets of 50 rules over 60 event types, 3
inorganic filters (one grouping), the standard surge policy, and 100,000 leads.

- throughput: `--events` pending events (stored with one INSERT ... SELECT, as ingestion
  stores them) are scored by the workers from one doorbell; events/s until the queue is empty;
- ceiling: COPY of as many event_scores rows as the run wrote, into a table with the same
  indexes;
- latency: events sent through `POST /events` by wrk at about `--rate` per second for
  `--seconds`; the time from an event's `received_at` to the first `score_update` for its lead
  on the OU's live-stream channel (published after commit).

Run: `python bench/scoring.py [--events 200000] [--workers 2] [--rate 1000] [--seconds 15]`
(needs `wrk`: apt-get install wrk).
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import ROOT, basic_authorization, latency_summary, running_stack_with_django

LEADS = 100_000
# Each wrk connection of the latency run waits this long between its requests.
PACED_DELAY_MS = 40
TYPES = [f"type_{n}" for n in range(60)]


def configure(unit) -> None:
    from scoring.models import InorganicFilter, Rule, Ruleset
    from scoring.services.scoring_config import scoring_config_changed

    for r in range(2):
        ruleset = Ruleset.objects.create(
            org_id=unit.org_id, unit=unit, name=f"Ruleset {r}", is_primary=r == 0
        )
        Rule.objects.bulk_create(
            Rule(org_id=unit.org_id, unit=unit, ruleset=ruleset,
                 event_type=TYPES[(n * 7 + r) % 60], weight=n % 11 - 2)
            for n in range(50)
        )  # fmt: skip
    for n in range(3):
        InorganicFilter.objects.create(
            org_id=unit.org_id, unit=unit, event_type=TYPES[n], count_threshold=5,
            time_window_ms=60_000, group_events=n == 0,
        )  # fmt: skip
    scoring_config_changed(unit)


def seed_leads(cursor, unit) -> None:
    cursor.execute(
        "INSERT INTO scoring_lead (lead_id, org_id, unit_id, metadata, created_at, updated_at) "
        "SELECT 'lead-' || n, %s, %s, '{}', now(), now() FROM generate_series(1, %s) n",
        [unit.org_id, unit.id, LEADS],
    )


def seed_pending(cursor, unit, events: int) -> None:
    cursor.execute(
        "INSERT INTO scoring_engagementevent (org_id, unit_id, lead_id, event_type, occurred_at,"
        " received_at, channel, metadata, source, status) "
        "SELECT %(org)s, %(unit)s, l.id, 'type_' || (n %% 60), "
        "       now() - make_interval(secs => (%(events)s - n) / 10.0), now(), 'web', "
        "       jsonb_build_object('path', '/p/' || n %% 50), 'api', 'pending' "
        "FROM generate_series(1, %(events)s) n JOIN scoring_lead l "
        "  ON l.unit_id = %(unit)s AND l.lead_id = 'lead-' || (1 + (n * 7919) %% %(leads)s)",
        {"org": unit.org_id, "unit": unit.id, "events": events, "leads": LEADS},
    )
    cursor.execute("ANALYZE")


def start_workers(
    env: dict, count: int, *, queues: str | None = None, name: str = "bench"
) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "celery", "-A", "leadvibe", "worker", "--concurrency",
               "1", "--loglevel", "WARNING", "--without-mingle", "--without-gossip"]  # fmt: skip
    if queues:
        command += ["-Q", queues]
    return [
        subprocess.Popen(
            [*command, "-n", f"{name}{n}@%h"],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def pending_count(cursor) -> int:
    cursor.execute("SELECT count(*) FROM scoring_engagementevent WHERE status = 'pending'")
    return cursor.fetchone()[0]


def copy_ceiling(cursor, unit_id: str) -> tuple[int, float]:
    cursor.execute(
        "CREATE TABLE bench_eventscore (LIKE scoring_eventscore INCLUDING DEFAULTS "
        "INCLUDING INDEXES)"
    )
    data = bytearray()
    raw = cursor.connection
    with raw.cursor().copy(
        "COPY (SELECT * FROM scoring_eventscore WHERE unit_id = %s) TO STDOUT", [unit_id]
    ) as copy:
        for block in copy:
            data += block
    rows = data.count(b"\n")
    started = time.perf_counter()
    with raw.cursor().copy("COPY bench_eventscore FROM STDIN") as copy:
        copy.write(bytes(data))
    seconds = time.perf_counter() - started
    cursor.execute("DROP TABLE bench_eventscore")
    return rows, rows / seconds


PACED_LUA = """
math.randomseed(os.time())
local n = 0
function request()
  n = n + 1
  local body = string.format(
    '{"event_type":"type_%%d","lead_id":"lead-%%d","metadata":{"channel":"web"}}',
    n %% 60, math.random(1, %(leads)d))
  return wrk.format("POST", "/api/v1/events", {["Content-Type"]="application/json",
    ["Authorization"]="%(auth)s"}, body)
end
function delay() return %(delay)d end
"""


def send_paced(base_url: str, auth: str, rate: float, seconds: float) -> None:
    """wrk on 127.0.0.1: connections that each wait PACED_DELAY_MS between requests."""
    connections = max(1, round(rate * PACED_DELAY_MS / 1000))
    script = PACED_LUA % {"leads": LEADS, "auth": auth, "delay": PACED_DELAY_MS}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s", "-s", file.name,
         base_url],
        check=True, capture_output=True,
    )  # fmt: skip
    os.unlink(file.name)


def listen(redis_url: str, channel: str, heard: list, stop: threading.Event) -> None:
    """(public lead id, time heard) of each `score_update` on the channel (SSE text)."""
    import redis

    pubsub = redis.Redis.from_url(redis_url).pubsub()
    pubsub.subscribe(channel)
    while not stop.is_set():
        message = pubsub.get_message(timeout=0.1)
        if message and message["type"] == "message":
            at = time.time()
            for block in message["data"].decode().split("\n\n"):
                event, _, data = block.partition("\ndata: ")
                if event == "event: score_update":
                    heard.append((json.loads(data)["lead_id"], at))


def latency_run(base_url, env, unit, auth, args) -> dict:
    """Events sent by wrk at about `args.rate`/s; each event's latency is from its
    `received_at` (stamped by the server) to the first `score_update` for its lead heard
    after it (same clock: one machine)."""
    from leadvibe.live import live_channel
    from scoring.models import EngagementEvent

    heard: list = []
    stop = threading.Event()
    listener = threading.Thread(
        target=listen, args=(env["REDIS_URL"], live_channel(unit.id), heard, stop)
    )
    listener.start()
    time.sleep(0.5)
    started = time.time()
    send_paced(base_url, auth, args.rate, args.seconds)
    time.sleep(3)
    stop.set()
    listener.join()
    received = list(
        EngagementEvent.objects.for_ou(unit)
        .filter(received_at__gte=datetime.datetime.fromtimestamp(started, datetime.UTC))
        .values_list("lead__lead_id", "received_at")
    )
    heard_by_lead: dict[str, list[float]] = {}
    for lead_id, at in heard:
        heard_by_lead.setdefault(lead_id, []).append(at)
    latencies = []
    for lead_id, received_at in received:
        at = received_at.timestamp()
        times = [t for t in heard_by_lead.get(lead_id, ()) if t >= at]
        latencies.append((min(times) - at) * 1000 if times else float("inf"))
    latencies.sort()

    return {
        "rate": len(received) / (time.time() - started - 3),
        **latency_summary(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()

    with running_stack_with_django(web_workers=2, web_threads=4, celery_worker=False) as stack:
        from django.db import connection

        from scoring.services.pipeline import ring_doorbell

        configure(stack.unit)
        with connection.cursor() as cursor:
            seed_leads(cursor, stack.unit)
            seed_pending(cursor, stack.unit, args.events)
        workers = start_workers({**stack.env, "WORKER_SWEEP_SECONDS": "1"}, args.workers)
        try:
            time.sleep(5)  # workers up
            started = time.perf_counter()
            ring_doorbell()
            with connection.cursor() as cursor:
                while pending_count(cursor):
                    time.sleep(0.2)
                throughput = args.events / (time.perf_counter() - started)
                rows, copy_rps = copy_ceiling(cursor, stack.unit.id)
            auth = basic_authorization(stack.credential)
            latency = latency_run(stack.base_url, stack.env, stack.unit, auth, args)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)

    per_event = rows / args.events
    print(f"{args.workers} worker processes; 2 rulesets x 50 rules, 3 inorganic filters, "
          f"standard surge, {LEADS:,} leads")  # fmt: skip
    print(
        f"scored end to end: {throughput:9,.0f} events/s ({args.events:,} events, "
        f"{per_event:.2f} event_scores rows each)   target >= 10,000"
    )
    print(
        f"ceiling: COPY of the {rows:,} event_scores rows: {copy_rps:9,.0f} rows/s = "
        f"{copy_rps / per_event:,.0f} events/s; ratio {throughput * per_event / copy_rps:.2f}"
    )
    print(
        f"latency at {latency['rate']:,.0f} events/s sent: received -> score_update "
        f"p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, p99 {latency['p99']:.0f} ms"
        f" ({latency['missing']} never heard)"
        "   target p95 <= 250, p99 <= 500"
    )


if __name__ == "__main__":
    main()
