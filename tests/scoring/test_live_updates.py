"""What scoring tells the live stream: `event_ingested` when events are accepted, `score_update`
when leads are scored, with public ids, as a member's stream receives them."""

import datetime
import json

import pytest
from django.utils import timezone

from leadvibe.timefmt import to_rfc3339
from scoring.ingestion.services.events import (
    LIVE_EVENTS_MAX,
    EventInput,
    event_ingest,
    events_ingest_batch,
)
from scoring.models import Lead, Rule, Ruleset
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from scoring.services.rulesets import rule_update
from scoring.services.scoring_stage import leads_replay
from tests.api_clients import token_for
from tests.factories import make_member, make_membership
from tests.scoring.scoring_helpers import config_spec, store_config
from tests.streaming import (
    Sse,
    asgi_server,
    heard_on_channels,
    next_event,
    open_stream,
    sse_blocks,
)

CONFIG = config_spec(
    [("page_view", 5, None, True)],
    [("page_view", 2, None, True), ("demo", 7, None, True)],
    surge=("off", [], "1"),
)


def _hours_ago(hours: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


def _sse(event: str, data: dict) -> Sse:
    return Sse(event, json.dumps(data, separators=(",", ":")))


@pytest.mark.django_db(transaction=True)
def test_a_members_stream_hears_events_ingested_then_scored(ou):
    store_config(ou, CONFIG)
    rs1, rs2 = (r.public_id for r in Ruleset.objects.for_ou(ou).order_by("-is_primary"))
    lead_create(ou=ou, lead_id="ld-1", metadata={})
    member = make_member(ou.org)
    make_membership(ou, member)
    token = token_for(member)
    earlier, later_on = _hours_ago(3), _hours_ago(2)

    with asgi_server() as server, open_stream(server, token=token, ouId=ou.id) as (_, events):
        view = event_ingest(
            ou=ou, event=EventInput("page_view", lead_id="ld-1", occurred_at=earlier)
        )
        demo = event_ingest(
            ou=ou,
            event=EventInput("demo", {"channel": "email"}, lead_id="ld-1", occurred_at=later_on),
        )
        ingested = [next_event(events), next_event(events)]
        process_pending_events()
        scored = next_event(events)
        event_ingest(ou=ou, event=EventInput("page_view", lead_id="ld-1"))
        process_pending_events()
        later = [next_event(events), next_event(events)]

    assert ingested == [
        _sse(
            "event_ingested",
            {
                "event_id": view.public_id,
                "lead_id": "ld-1",
                "event_type": "page_view",
                "channel": "web",
                "occurred_at": to_rfc3339(earlier),
            },
        ),
        _sse(
            "event_ingested",
            {
                "event_id": demo.public_id,
                "lead_id": "ld-1",
                "event_type": "demo",
                "channel": "email",
                "occurred_at": to_rfc3339(later_on),
            },
        ),
    ]
    # One message per lead and batch: both events, 5 + 0 in the primary ruleset.
    assert scored == _sse(
        "score_update", {"lead_id": "ld-1", "score": 5, "delta": 5, "scores": {rs1: 5, rs2: 9}}
    )
    assert [item.event for item in later] == ["event_ingested", "score_update"]
    assert later[1].json() == {
        "lead_id": "ld-1",
        "score": 10,
        "delta": 5,
        "scores": {rs1: 10, rs2: 11},
    }


@pytest.mark.django_db
def test_a_replay_tells_only_of_leads_whose_scores_changed(ou, django_capture_on_commit_callbacks):
    store_config(ou, CONFIG)
    for lead_id, event_type in (("viewer", "page_view"), ("demo-only", "demo")):
        lead_create(ou=ou, lead_id=lead_id, metadata={})
        event_ingest(ou=ou, event=EventInput(event_type, lead_id=lead_id))
    process_pending_events()
    rule = Rule.objects.unscoped().get(ruleset__is_primary=True)
    rule_update(ou=ou, member=None, rule_id=rule.public_id, weight=8)
    leads = list(Lead.objects.for_ou(ou).values_list("id", flat=True))

    with heard_on_channels(ou.id) as messages, django_capture_on_commit_callbacks(execute=True):
        leads_replay(unit_id=ou.id, lead_pks=leads)

    heard = [event for _, text in messages for event in sse_blocks(text)]
    assert [item.event for item in heard] == ["score_update"]
    assert heard[0].json()["lead_id"] == "viewer"
    assert (heard[0].json()["score"], heard[0].json()["delta"]) == (8, 3)


@pytest.mark.django_db
def test_a_batch_tells_of_its_first_events_and_never_of_repeats(
    ou, django_capture_on_commit_callbacks
):
    lead_create(ou=ou, lead_id="ld-1", metadata={})
    event_ingest(ou=ou, event=EventInput("demo", lead_id="ld-1", idempotency_key="seen"))
    batch = [EventInput("demo", lead_id="ld-1", idempotency_key="seen")]
    batch += [EventInput(f"type-{n}", lead_id="ld-1") for n in range(LIVE_EVENTS_MAX + 20)]

    with heard_on_channels(ou.id) as messages, django_capture_on_commit_callbacks(execute=True):
        results = events_ingest_batch(ou=ou, events=batch)

    assert len(messages) == 1
    heard = sse_blocks(messages[0][1])
    assert results[0].duplicate
    assert len(heard) == LIVE_EVENTS_MAX
    assert [item.json()["event_type"] for item in heard] == [
        f"type-{n}" for n in range(LIVE_EVENTS_MAX)
    ]
    assert heard[0].json()["event_id"] == results[1].public_id
