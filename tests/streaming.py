"""Reading the live stream in tests: the project's ASGI application served by uvicorn in a
thread of the test process (same settings, same test database: use transactional tests), an
httpx reader of its Server-Sent Events, and a listener on OUs' Redis channels."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from leadvibe.embedded import free_port
from leadvibe.live import live_channel
from leadvibe.redis_client import get_redis

STREAM_PATH = "/api/v1/stream"


@contextmanager
def asgi_server() -> Iterator[str]:
    """The base URL of `leadvibe.asgi:application` served until the block ends."""
    port = free_port()
    config = uvicorn.Config(
        "leadvibe.asgi:application",
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asgi-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ASGI server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass(frozen=True)
class Sse:
    """One event of the stream, or a comment (`event` is None, `data` the comment's text)."""

    event: str | None
    data: str

    def json(self) -> dict:
        return json.loads(self.data)


def sse_events(lines: Iterator[str]) -> Iterator[Sse]:
    event, data = None, []
    for line in lines:
        if line.startswith(":"):
            yield Sse(None, line[1:].strip())
        elif line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data.append(line.removeprefix("data:").strip())
        elif line == "" and data:
            yield Sse(event, "\n".join(data))
            event, data = None, []


@contextmanager
def open_stream(base_url: str, *, token: str | None = None, **params) -> Iterator:
    """`(response, events)` of a stream opened with the member's token in the Authorization
    header (or pass `access_token=` in `params`); `events` starts after the `connected`
    comment, so the stream is subscribed by then."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with (
        httpx.Client(timeout=httpx.Timeout(10, read=5)) as client,
        client.stream("GET", base_url + STREAM_PATH, params=params, headers=headers) as response,
    ):
        events = sse_events(response.iter_lines()) if response.status_code == 200 else iter(())
        if response.status_code == 200:
            assert next(events) == Sse(None, "connected")
        yield response, events


def next_event(events: Iterator[Sse]) -> Sse:
    """The next event, heartbeats skipped."""
    return next(item for item in events if item.event is not None)


@contextmanager
def heard_on_channels(*unit_ids: str) -> Iterator[list[tuple[str, str]]]:
    """`(unit_id, SSE text)` of each message published on the OUs' channels while the block
    runs (read when it ends)."""
    channels = {live_channel(unit_id): unit_id for unit_id in unit_ids}
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(*channels)
    heard: list[tuple[str, str]] = []
    try:
        yield heard
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            if message := pubsub.get_message(timeout=0.1):
                heard.append((channels[message["channel"].decode()], message["data"].decode()))
    finally:
        pubsub.close()


def sse_blocks(text: str) -> list[Sse]:
    """The events of one published message."""
    return list(sse_events(iter(text.split("\n"))))
