"""The live stream's messages (`GET /api/v1/stream`, Server-Sent Events): one Redis pub/sub
channel per OU.

- publish: `publish_live_events(unit_id, [(event_name, data), ...])`, after the change it
  reports has committed. The events travel already framed as SSE text, so each of the many
  open streams only forwards bytes. Best effort: what an event reports is in PostgreSQL
  whether or not a stream hears of it, so a Redis failure is logged and counted
  (`redis_unavailable{operation="live_events"}`), never raised. `queue_live_events` adds the
  same message to a pipeline the caller sends anyway (one round trip for both);
- stream: `live_stream` yields one client's bytes: a `: connected` comment once subscribed,
  each message of the OU's channel as it arrives, and a `: heartbeat` comment after
  `heartbeat_seconds` of silence (proxies close idle connections). It ends when Redis fails
  (EventSource reconnects by itself) and unsubscribes however it ends, a client going away
  (CancelledError) included.
"""

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence

import redis.asyncio
from django.conf import settings
from redis.client import Pipeline
from redis.exceptions import RedisError

from leadvibe.metrics import REDIS_UNAVAILABLE
from leadvibe.redis_client import get_redis

logger = logging.getLogger(__name__)

#: `(event name, JSON-ready data)`: `("score_update", {"lead_id": "ld_1", ...})`.
LiveEvent = tuple[str, Mapping]

_JSON = json.JSONEncoder(separators=(",", ":"))

CONNECTED = b": connected\n\n"
HEARTBEAT = b": heartbeat\n\n"


def live_channel(unit_id: str) -> str:
    return f"leadvibe:ou:{unit_id}"


def sse_text(events: Sequence[LiveEvent]) -> str:
    # JSON escapes newlines inside strings, so each data field stays on one line.
    return "".join(f"event: {name}\ndata: {_JSON.encode(data)}\n\n" for name, data in events)


def queue_live_events(pipe: Pipeline, unit_id: str, events: Sequence[LiveEvent]) -> None:
    """Adds the events' PUBLISH to `pipe`; the caller sends it and handles Redis errors."""
    if events:
        pipe.publish(live_channel(unit_id), sse_text(events))


def publish_live_events(unit_id: str, events: Sequence[LiveEvent]) -> None:
    publish_live_events_of_units({unit_id: events})


def publish_live_events_of_units(events_by_unit: Mapping[str, Sequence[LiveEvent]]) -> None:
    """`publish_live_events` for several OUs in one round trip."""
    if not any(events_by_unit.values()):
        return
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            for unit_id, events in events_by_unit.items():
                queue_live_events(pipe, unit_id, events)
            pipe.execute()
    except (RedisError, OSError) as exc:
        REDIS_UNAVAILABLE.labels(operation="live_events").inc()
        logger.warning("live events not published", extra={"error": str(exc)})


async def live_stream(unit_id: str, *, heartbeat_seconds: float) -> AsyncGenerator[bytes, None]:
    client = redis.asyncio.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_BACKGROUND_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_BACKGROUND_SOCKET_TIMEOUT,
        # Pings the idle subscription now and then, so a dead Redis ends the stream.
        health_check_interval=30,
    )
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    loop = asyncio.get_running_loop()
    try:
        await pubsub.subscribe(live_channel(unit_id))
        yield CONNECTED
        beat_at = loop.time() + heartbeat_seconds
        while True:
            # None after the timeout, or sooner for a message it ignores (a pong).
            message = await pubsub.get_message(timeout=max(0.0, beat_at - loop.time()))
            if message is not None:
                yield message["data"]
            elif loop.time() < beat_at:
                continue
            else:
                yield HEARTBEAT
            beat_at = loop.time() + heartbeat_seconds
    except (RedisError, OSError) as exc:
        REDIS_UNAVAILABLE.labels(operation="live_stream").inc()
        logger.warning("live stream ended: redis unavailable", extra={"error": str(exc)})
    finally:
        await pubsub.aclose()
        await client.aclose()


def live_stream_sync(unit_id: str, *, heartbeat_seconds: float) -> Iterator[bytes]:
    """`live_stream` for a sync (WSGI) server, run in an event loop of its own. It holds one
    server thread for as long as the client stays, which is why production serves the stream
    from the ASGI process."""
    loop = asyncio.new_event_loop()
    stream = live_stream(unit_id, heartbeat_seconds=heartbeat_seconds)
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(stream))
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(stream.aclose())
        loop.close()
