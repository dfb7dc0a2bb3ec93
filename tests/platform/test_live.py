"""The live stream's pub/sub: publishers frame events as SSE on the OU's channel, best effort;
a stream relays its OU's channel and stops quietly when Redis goes away."""

import asyncio
import logging

from leadvibe.live import CONNECTED, live_stream, publish_live_events_of_units
from leadvibe.metrics import REDIS_UNAVAILABLE
from leadvibe.redis_client import get_redis
from tests.streaming import heard_on_channels


def test_events_go_framed_as_sse_to_the_channel_of_their_ou_in_one_message():
    with heard_on_channels("ou_a", "ou_b") as heard:
        publish_live_events_of_units(
            {
                "ou_a": [("score_update", {"lead_id": "a\nb", "delta": 5}), ("surge", {"n": 1})],
                "ou_b": [("event_ingested", {"event_id": "ev_1"})],
                "ou_c": [],
            }
        )
    assert heard == [
        (
            "ou_a",
            'event: score_update\ndata: {"lead_id":"a\\nb","delta":5}\n\n'
            'event: surge\ndata: {"n":1}\n\n',
        ),
        ("ou_b", 'event: event_ingested\ndata: {"event_id":"ev_1"}\n\n'),
    ]


def test_publishing_without_redis_is_logged_and_counted_never_raised(unreachable_redis, caplog):
    counter = REDIS_UNAVAILABLE.labels(operation="live_events")
    before = counter._value.get()
    with caplog.at_level(logging.WARNING, logger="leadvibe.live"):
        publish_live_events_of_units({"ou_a": [("surge", {"n": 1})]})
    assert counter._value.get() == before + 1
    assert [r.message for r in caplog.records] == ["live events not published"]


def test_a_stream_ends_when_redis_goes_away(settings):
    async def read_until_the_end():
        stream = live_stream("ou_a", heartbeat_seconds=30)
        assert await anext(stream) == CONNECTED
        # Only this test's subscriber: xdist workers share the Redis server (a database
        # each), and pub/sub is server-wide.
        redis = get_redis()
        database = redis.connection_pool.connection_kwargs.get("db", 0)
        for client in redis.client_list(_type="pubsub"):
            if int(client["db"]) == database:
                redis.client_kill_filter(_id=client["id"])
        return [chunk async for chunk in stream]

    counter = REDIS_UNAVAILABLE.labels(operation="live_stream")
    before = counter._value.get()
    assert asyncio.run(asyncio.wait_for(read_until_the_end(), 10)) == []
    assert counter._value.get() == before + 1
