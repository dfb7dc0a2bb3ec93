"""Ingest throughput and latency against the real stack, with the ceiling measured in the
same run.

The stack: embedded PostgreSQL and Redis, gunicorn (4 workers x 2 threads) and one Celery
worker draining the queue, each in its own process. The load comes from wrk on 127.0.0.1
(2 threads). Each scenario runs `--runs` times for `--seconds`; the median is printed.

- ceiling: `POST /bench/insert`, a bare view on the same server inserting one row with raw
  SQL (no auth, no validation); and COPY of the same rows from this process;
- single: `POST /events` with Basic auth and alias resolution (emails from a pool of 20,000,
  so new and known leads mix);
- latency: the same at a paced rate of about 300 events/s (wrk `delay()` per connection);
- batch: `POST /events/batch` with 500 events per request.

Run: `python bench/ingest.py [--seconds 8] [--runs 3]` (needs `wrk`: apt-get install wrk).
"""

import argparse
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import basic_authorization, django_setup_against, running_stack

SINGLE_LUA = """
local id = 0
local counter = 0
function setup(thread) thread:set("id", id); id = id + 1 end
function init(args) math.randomseed(os.time() + id * 7919) end
function request()
  counter = counter + 1
  local body = string.format(
    '{"event_type":"page_view","aliases":[{"alias_kind":"email","raw_value":"lead%%d@bench.test"}],'
    .. '"metadata":{"channel":"web","path":"/p/%%d"}}', math.random(1, 20000), counter)
  return wrk.format("POST", "%(path)s", {["Content-Type"]="application/json",
    ["Authorization"]="%(auth)s"}, body)
end
%(delay)s
"""

BATCH_LUA = """
local id = 0
local bodies = {}
local next_body = 1
function setup(thread) thread:set("id", id); id = id + 1 end
function init(args)
  math.randomseed(os.time() + id * 7919)
  for b = 1, 20 do
    local items = {}
    for i = 1, 500 do
      items[i] = string.format(
        '{"event_type":"email_open","aliases":[{"alias_kind":"email","raw_value":"lead%%d@bench.test"}],'
        .. '"metadata":{"campaign":"c%%d"}}', math.random(1, 20000), i)
    end
    bodies[b] = '{"events":[' .. table.concat(items, ",") .. ']}'
  end
end
function request()
  next_body = next_body %% #bodies + 1
  return wrk.format("POST", "/api/v1/events/batch", {["Content-Type"]="application/json",
    ["Authorization"]="%(auth)s"}, bodies[next_body])
end
"""


def run_wrk(base_url: str, script: str, *, seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            lua.name,
            base_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(lua.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _latency(output, "50%"),
        "p99_ms": _latency(output, "99%"),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def median_run(runs: int, measure) -> dict:
    results = [measure() for _ in range(runs)]
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def copy_rows_per_second(rows: int) -> float:
    from django.db import connection

    buffer = io.StringIO()
    for n in range(rows):
        buffer.write(f'page_view\t{{"channel": "web", "path": "/p/{n}"}}\n')
    with connection.cursor() as cursor:
        raw = cursor.connection
        started = time.perf_counter()
        with raw.cursor().copy("COPY bench_ceiling (event_type, metadata) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        raw.commit()
        return rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    with running_stack() as (base_url, env, credential, _processes):
        django_setup_against(env)
        from django.db import connection

        from bench.urls import CEILING_TABLE_SQL

        with connection.cursor() as cursor:
            cursor.execute(CEILING_TABLE_SQL)

        auth = basic_authorization(credential)
        single = SINGLE_LUA % {"path": "/api/v1/events", "auth": auth, "delay": ""}
        ceiling = SINGLE_LUA % {"path": "/bench/insert", "auth": auth, "delay": ""}
        # 30 connections, each waiting 100 ms between requests: about 300 requests/s.
        paced = SINGLE_LUA % {
            "path": "/api/v1/events",
            "auth": auth,
            "delay": "function delay() return 100 end",
        }
        batch = BATCH_LUA % {"auth": auth}

        def wrk(script, connections=16):
            return lambda: run_wrk(base_url, script, seconds=args.seconds, connections=connections)

        run_wrk(base_url, single, seconds=3, connections=8)  # warm-up: connections, caches
        figures = {
            "ceiling_view": median_run(args.runs, wrk(ceiling)),
            "single": median_run(args.runs, wrk(single)),
            "paced": median_run(args.runs, wrk(paced, connections=30)),
            "batch": median_run(args.runs, wrk(batch, connections=4)),
        }
        copy_rps = statistics.median(copy_rows_per_second(100_000) for _ in range(args.runs))

    ceiling_rps = figures["ceiling_view"]["rps"]
    single, paced, batch = figures["single"], figures["paced"], figures["batch"]
    batch_eps = batch["rps"] * 500
    print(f"median of {args.runs} runs x {args.seconds}s; wrk 2 threads on 127.0.0.1")
    print(
        f"ceiling: bare view, 1 raw INSERT   {ceiling_rps:9.0f} req/s  "
        f"p99 {figures['ceiling_view']['p99_ms']:.1f} ms"
    )
    print(f"ceiling: COPY of the same rows     {copy_rps:9.0f} rows/s")
    print(
        f"POST /events (Basic, aliases)      {single['rps']:9.0f} events/s  "
        f"p50 {single['p50_ms']:.1f} ms  p99 {single['p99_ms']:.1f} ms  "
        f"non-2xx {single['errors']:.0f}  = {single['rps'] / ceiling_rps:.2f} x bare view"
        f"   (target >= 1000)"
    )
    print(
        f"POST /events paced                 {paced['rps']:9.0f} events/s  "
        f"p50 {paced['p50_ms']:.1f} ms  p99 {paced['p99_ms']:.1f} ms   (target p99 <= 50 ms"
        " at 300/s)"
    )
    print(
        f"POST /events/batch (500/request)   {batch_eps:9.0f} events/s  "
        f"p99 {batch['p99_ms']:.0f} ms  non-2xx {batch['errors']:.0f}  "
        f"= {batch_eps / copy_rps:.2f} x COPY   (target >= 20000)"
    )
    print(json.dumps({"figures": figures, "copy_rows_per_s": copy_rps}))


if __name__ == "__main__":
    main()
