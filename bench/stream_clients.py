"""Live-stream fan-out: many open SSE clients on one stream process, and how long an event
takes from its publish to each of them.

The stack: embedded PostgreSQL and Redis, gunicorn (web), one Celery worker, and the stream
process with ONE uvicorn worker. `--clients` SSE clients (asyncio + httpx, in this process)
open `GET /api/v1/stream`; then each round sends one event for a new lead through
`POST /events`, the worker scores it and publishes its `score_update` after commit. A listener
subscribed to the OU's Redis channel (its own process) stamps each publish; each client
stamps its receipt; the latency is receipt - publish, per client and round (same clock).

Run: `python bench/stream_clients.py [--clients 500] [--rounds 10] [--runs 3]`.
Other benches start a stream process on their stack with `start_stream_process` and call
`run_stream_clients` with their own `publish` and `event` (e.g. surges).
"""

import argparse
import asyncio
import multiprocessing
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import ROOT, nearest_rank, running_stack

STREAM_PATH = "/api/v1/stream"


def run_stream_clients(
    *,
    stream_url: str,
    access_token: str,
    ou_id: str,
    redis_url: str,
    publish: Callable[[int], None],
    event: str = "score_update",
    clients: int = 500,
    rounds: int = 10,
    round_seconds: float = 1.0,
    stream_pid: int | None = None,
) -> dict:
    """Opens `clients` streams of the OU at `stream_url` (a stream process's base URL), then
    calls `publish(round)` (in a thread) once per round, `round_seconds` apart; each call must
    make events named `event` be published on the OU's channel, each one different (a new
    lead, say). Returns the figures: `connected` clients and the seconds they took to connect;
    `published` events and `deliveries` of them to clients (of `clients * published`
    possible) and the fewest clients that got any one event; latency publish -> receipt
    `p50_ms`, `p95_ms`, `p99_ms`, `max_ms`; with `stream_pid` (the worker process), its RSS
    and thread count while every client was connected."""
    context = multiprocessing.get_context("spawn")
    published = context.Queue()
    ready, stop = context.Event(), context.Event()
    listener = context.Process(
        target=_listen, args=(redis_url, f"leadvibe:ou:{ou_id}", event, published, ready, stop)
    )
    listener.start()
    ready.wait(10)
    try:
        figures = asyncio.run(
            _clients_run(
                url=stream_url + STREAM_PATH,
                params={"ouId": ou_id, "access_token": access_token},
                event=event,
                clients=clients,
                rounds=rounds,
                round_seconds=round_seconds,
                publish=publish,
                stream_pid=stream_pid,
            )
        )
    finally:
        stop.set()
    publish_times: dict[str, float] = published.get(timeout=10)
    listener.join(10)
    received: list[tuple[str, float]] = figures.pop("received")
    latencies = sorted(
        (at - publish_times[block]) * 1000 for block, at in received if block in publish_times
    )
    per_event = dict.fromkeys(publish_times, 0)
    for block, _ in received:
        if block in per_event:
            per_event[block] += 1

    return {
        **figures,
        "published": len(publish_times),
        "deliveries": len(latencies),
        "fewest_clients_per_event": min(per_event.values(), default=0),
        "p50_ms": nearest_rank(latencies, 50) if latencies else None,
        "p95_ms": nearest_rank(latencies, 95) if latencies else None,
        "p99_ms": nearest_rank(latencies, 99) if latencies else None,
        "max_ms": latencies[-1] if latencies else None,
    }


def _listen(redis_url, channel, event, published, ready, stop) -> None:
    """Child process: the time each `event` block was published on the channel."""
    import redis

    pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    pubsub.get_message(timeout=1)
    ready.set()
    times: dict[str, float] = {}
    while not stop.is_set():
        message = pubsub.get_message(timeout=0.1)
        if message:
            at = time.time()
            for block in message["data"].decode().split("\n\n"):
                if block.startswith(f"event: {event}\n"):
                    times.setdefault(block, at)
    published.put(times)


async def _clients_run(
    *, url, params, event, clients, rounds, round_seconds, publish, stream_pid
) -> dict:
    received: list[tuple[str, float]] = []
    connected = 0
    all_connected = asyncio.Event()

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal connected
        async with http.stream("GET", url, params=params) as response:
            response.raise_for_status()
            lines: list[str] = []
            async for line in response.aiter_lines():
                if line == ": connected":
                    connected += 1
                    if connected == clients:
                        all_connected.set()
                elif line:
                    lines.append(line)
                elif lines:
                    if lines[0] == f"event: {event}":
                        received.append(("\n".join(lines), time.time()))
                    lines = []

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=0)
    timeout = httpx.Timeout(60, read=None)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
        started = time.perf_counter()
        tasks = [asyncio.create_task(client(http)) for _ in range(clients)]
        done, _ = await asyncio.wait(
            [asyncio.create_task(all_connected.wait()), *tasks],
            timeout=120,
            return_when=asyncio.FIRST_COMPLETED,
        )
        connect_seconds = time.perf_counter() - started
        failed = [task for task in done if task in tasks]
        if failed:
            failed[0].result()  # a client that could not connect: raise its error
        process = psutil.Process(stream_pid) if stream_pid else None
        server = (
            {
                "stream_rss_mb": process.memory_info().rss / 2**20,
                "stream_threads": process.num_threads(),
            }
            if process
            else {}
        )
        for number in range(rounds):
            await asyncio.to_thread(publish, number)
            await asyncio.sleep(round_seconds)
        await asyncio.sleep(2)  # the last round's stragglers
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "clients": clients,
        "connected": connected,
        "connect_seconds": connect_seconds,
        **server,
        "received": received,
    }


def start_stream_process(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "leadvibe/gunicorn_stream_conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the stream process did not become ready")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    with running_stack(web_workers=1, web_threads=4, celery_worker=True) as (
        base_url, env, credential, processes,
    ):  # fmt: skip
        from leadvibe.embedded import free_port

        port = free_port()
        stream = start_stream_process(env, port)
        processes.append(stream)
        worker_pid = psutil.Process(stream.pid).children()[0].pid
        login = {"email": "bench@example.com", "password": "bench-password"}
        token = httpx.post(f"{base_url}/api/v1/auth/login", json=login).json()["access"]
        ou_id = credential["ou_id"]
        member = {"Authorization": f"Bearer {token}", "X-OU-ID": ou_id}
        httpx.post(f"{base_url}/api/v1/rulesets", json={"name": "Main"}, headers=member)
        rule = {"event_type": "page_view", "weight": 5}
        httpx.post(f"{base_url}/api/v1/rules", json=rule, headers=member)
        api = httpx.Client(
            base_url=base_url, auth=(credential["client_id"], credential["client_secret"])
        )
        runs = []
        for run in range(args.runs):

            def publish(number: int, run=run) -> None:
                alias = {"alias_kind": "external_id", "raw_value": f"run-{run}-lead-{number}"}
                event = {"event_type": "page_view", "aliases": [alias]}
                api.post("/api/v1/events", json=event).raise_for_status()

            runs.append(
                run_stream_clients(
                    stream_url=f"http://127.0.0.1:{port}",
                    access_token=token,
                    ou_id=ou_id,
                    redis_url=env["REDIS_URL"],
                    publish=publish,
                    clients=args.clients,
                    rounds=args.rounds,
                    stream_pid=worker_pid,
                )
            )
            print(_line(f"run {run + 1}", runs[-1]))

    def median(key):
        return statistics.median(r[key] for r in runs)

    print(
        f"{args.clients} SSE clients on 1 uvicorn worker, {args.rounds} score updates each "
        f"(POST /events -> worker -> publish), median of {args.runs} runs:"
    )
    print(
        f"publish -> receipt p50 {median('p50_ms'):.0f} ms, p95 {median('p95_ms'):.0f} ms, "
        f"p99 {median('p99_ms'):.0f} ms   target p95 <= 1000 ms"
    )
    print(
        f"received {sum(r['deliveries'] for r in runs):,} of "
        f"{sum(r['published'] * r['clients'] for r in runs):,} deliveries; "
        f"connect {median('connect_seconds'):.1f} s for all clients; stream worker "
        f"{median('stream_rss_mb'):.0f} MB RSS, {median('stream_threads'):.0f} threads"
    )


def _line(label: str, figures: dict) -> str:
    return (
        f"{label}: {figures['connected']}/{figures['clients']} connected in "
        f"{figures['connect_seconds']:.1f} s; {figures['deliveries']} of "
        f"{figures['published'] * figures['clients']} received (fewest per event "
        f"{figures['fewest_clients_per_event']}); p50 {figures['p50_ms']:.0f} ms, "
        f"p95 {figures['p95_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, "
        f"max {figures['max_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
