"""Scoring through the pipeline as a client meets it: events ingested by the API, scored by the
pipeline, merges and deletions (architecture.md §4.10)."""

import pytest

from scoring.models import EngagementEvent, EventScore, LeadScore, LeadScoringState
from scoring.services.decay_sweep import decay_sweep
from scoring.services.lead_changes import lead_merge
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from tests.concurrency import run_in_threads
from tests.scoring.scoring_helpers import (
    at_minute,
    config_spec,
    decay_rule,
    expected_from_reference,
    new_event,
    store_config,
    stored_scoring,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = config_spec([("demo", 10, None, True), ("email_open", 3, None, True)])


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
    lead = LeadScoringState.objects.unscoped().get().lead
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
    assert not LeadScore.objects.unscoped().filter(lead=source).exists()
    assert not EventScore.objects.unscoped().filter(lead=source).exists()


DECAY_CONFIG = {
    **CONFIG,
    "rulesets": [
        {"rules": [("demo", 25, None, True), ("email_open", 15, None, True)], "active": True},
        {"rules": [("demo", 8, None, True)], "active": True},
    ],
}
DAY = 24 * 60


def decay_events(lead):
    return list(
        EngagementEvent.objects.unscoped()
        .filter(lead=lead, event_type="DECAY")
        .order_by("occurred_at")
        .values_list("occurred_at", "metadata", "status")
    )


def test_6_decay_sweep_records_each_due_step_that_changes_a_score(ou):
    config = store_config(ou, DECAY_CONFIG)
    rule = decay_rule(ou, decrease=10)  # every full day of inactivity: -10
    demo = lead_create(ou=ou, lead_id="demo", metadata={})
    opener = lead_create(ou=ou, lead_id="opener", metadata={})
    EngagementEvent.objects.bulk_create(
        [new_event(demo, "demo", 0), new_event(opener, "email_open", 0)]
    )
    process_pending_events()

    result = decay_sweep(now=at_minute(3.5 * DAY))

    # demo: 25 -> 15 -> 5 -> 0 in the first ruleset (8 -> 0 in the second at day 1): 3 DECAYs.
    # opener: 15 -> 5 -> 0: day 3 would change nothing, so it is not recorded.
    assert (result.leads, result.decays) == (2, 5)
    assert [(when, meta["decrease"], status) for when, meta, status in decay_events(demo)] == [
        (at_minute(DAY), 10, "processed"),
        (at_minute(2 * DAY), 10, "processed"),
        (at_minute(3 * DAY), 10, "processed"),
    ]
    assert len(decay_events(opener)) == 2
    assert all(meta["decay_rule_id"] == rule.id for _, meta, _ in decay_events(demo))
    for lead in (demo, opener):
        assert stored_scoring(lead) == expected_from_reference(lead, config)
    assert sorted(stored_scoring(demo)[0].values()) == [0, 0]

    # Swept again: nothing more is due.
    assert decay_sweep(now=at_minute(3.5 * DAY)).decays == 0

    # New activity at day 4 restarts the count: the next decay is due at day 5.
    EngagementEvent.objects.bulk_create([new_event(demo, "demo", 4 * DAY)])
    process_pending_events()
    assert decay_sweep(now=at_minute(4.9 * DAY)).decays == 0
    assert decay_sweep(now=at_minute(5.2 * DAY)).decays == 1
    assert decay_events(demo)[-1][0] == at_minute(5 * DAY)
    assert stored_scoring(demo) == expected_from_reference(demo, config)
    assert sorted(stored_scoring(demo)[0].values()) == [0, 15]  # 25 - 10 and 8 - 10 floored


def test_6_overlapping_decay_sweeps_record_each_step_once(ou):
    config = store_config(ou, DECAY_CONFIG)
    decay_rule(ou, decrease=3)
    leads = [lead_create(ou=ou, lead_id=f"l{n}", metadata={}) for n in range(30)]
    EngagementEvent.objects.bulk_create([new_event(lead, "demo", 0) for lead in leads])
    process_pending_events()

    run_in_threads(lambda _: decay_sweep(now=at_minute(6.5 * DAY)), count=2)  # neither raises
    decay_sweep(now=at_minute(6.5 * DAY))  # whatever a locked lead skipped
    for lead in leads:
        assert len(decay_events(lead)) == 6  # days 1..6: 25 -> 7, each step changes a score
        assert stored_scoring(lead) == expected_from_reference(lead, config)
