"""What scoring tells the live stream: `event_ingested` when events are accepted, `score_update`
when leads are scored, with public ids."""

import pytest

from scoring.models import Lead, Rule
from scoring.services.events import (
    LIVE_EVENTS_MAX,
    EventInput,
    event_ingest,
    events_ingest_batch,
)
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from scoring.services.rulesets import rule_update
from scoring.services.scoring_stage import leads_replay
from tests.scoring.scoring_helpers import store_config
from tests.streaming import heard_on_channels, sse_blocks

CONFIG = {
    "rulesets": [
        {"rules": [("page_view", 5, None, True)], "active": True},
        {"rules": [("page_view", 2, None, True), ("demo", 7, None, True)], "active": True},
    ],
    "attribute_filters": [],
    "inorganic_filters": [],
    "surge": ("off", [], "1"),
    "idle_minutes": 30,
    "event_types": [],
    "allow_negative": False,
}


@pytest.mark.django_db
def test_a_replay_tells_only_of_leads_whose_scores_changed(ou, django_capture_on_commit_callbacks):
    store_config(ou, CONFIG)
    for lead_id, event_type in (("viewer", "page_view"), ("demo-only", "demo")):
        lead_create(ou=ou, lead_id=lead_id, metadata={})
        event_ingest(ou=ou, event=EventInput(event_type, lead_id=lead_id))
    process_pending_events()
    rule = Rule.objects.get(ruleset__is_primary=True)
    rule_update(ou=ou, member=None, rule_id=rule.public_id, weight=8)
    leads = list(Lead.objects.filter(unit=ou).values_list("id", flat=True))

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
    assert results[0].status == 200  # the repeat
    assert len(heard) == LIVE_EVENTS_MAX
    assert [item.json()["event_type"] for item in heard] == [
        f"type-{n}" for n in range(LIVE_EVENTS_MAX)
    ]
    assert heard[0].json()["event_id"] == results[1].body["event_id"]
