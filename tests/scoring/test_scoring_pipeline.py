"""Scoring through the pipeline as a client meets it: events ingested by the API, scored by the
pipeline, merges and deletions (architecture.md §4.10)."""

import pytest

from scoring.models import EngagementEvent, EventScore, LeadScore, LeadScoringState
from scoring.services.lead_changes import lead_merge
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from tests.scoring.scoring_helpers import (
    expected_from_reference,
    new_event,
    store_config,
    stored_scoring,
)

pytestmark = pytest.mark.django_db

CONFIG = {
    "rulesets": [{"rules": [("demo", 10, None, True), ("email_open", 3, None, True)],
                  "active": True}],
    "attribute_filters": [],
    "inorganic_filters": [],
    "surge": ("standard", [], "2"),
    "idle_minutes": 30,
    "event_types": [],
    "allow_negative": False,
}  # fmt: skip


def test_events_ingested_through_the_api_are_scored(client, ou):
    config = store_config(ou, CONFIG)
    for event_type in ("email_open", "demo", "demo", "page_view"):
        body = {
            "event_type": event_type,
            "aliases": [{"alias_kind": "email", "raw_value": "jo@acme.test"}],
        }
        response = client.post("/api/v1/events", body, format="json")
        assert response.status_code == 202, response.content
    process_pending_events()
    lead = LeadScoringState.objects.get().lead
    scores, rows, reasons = stored_scoring(lead)
    # Standard surge: the 3rd event of the session x1.25: 3 + 10 + round(12.5) = 26.
    assert list(scores.values()) == [26]
    assert sorted(delta for _, _, _, delta, *_ in rows) == [3, 10, 13]
    assert (scores, rows, reasons) == expected_from_reference(lead, config)


def test_10_merge_replays_the_target_over_all_its_events(ou):
    config = store_config(ou, CONFIG)
    target = lead_create(ou=ou, lead_id="target", metadata={})
    source = lead_create(ou=ou, lead_id="source", metadata={})
    EngagementEvent.objects.bulk_create(
        [new_event(target, "demo", 0), new_event(source, "email_open", 5),
         new_event(target, "demo", 10), new_event(source, "demo", 200)]
    )  # fmt: skip
    process_pending_events()
    assert list(stored_scoring(target)[0].values()) == [20]  # 10 + 10
    assert list(stored_scoring(source)[0].values()) == [13]  # 3 + 10, separate sessions

    lead_merge(ou=ou, target_id="target", source_ids=["source"])

    # One session of three (0, 5, 10): 10 + 3 + round(12.5) = 26, then 10 at minute 200.
    assert list(stored_scoring(target)[0].values()) == [36]
    assert stored_scoring(target) == expected_from_reference(target, config)
    assert not LeadScore.objects.filter(lead=source).exists()
    assert not EventScore.objects.filter(lead=source).exists()
