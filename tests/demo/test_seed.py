"""The demo data set: `POST /admin/seed` fills an OU with it through the real pipeline,
`POST /admin/wipe-seed` takes exactly it away again, and `seed_demo` seeds from the shell.

The scoring, trigger and segment work runs here as the workers run it (process the pending
events, sweep the jobs); `tests/e2e/test_runstack.py` watches real workers do it."""

import io
import json
import time

import pytest
from django.core.management import CommandError, call_command

from demo.dataset import BOT_BURST_VIEWS, BOT_LEADS, DEFAULT_SEED, EVENT_TYPES, demo_dataset
from demo.models import DemoSeed
from leadvibe.jobs import jobs_sweep
from scoring.models import EngagementEvent, Lead, LeadScore, Level, Ruleset
from scoring.services.pipeline import process_pending_events
from scoring.services.rulesets import rule_create, ruleset_create
from segments.models import Segment, SegmentMembership
from tests.api_clients import basic_client_for, member_client_for
from tests.factories import make_credential, make_unit
from triggers.models import Delivery, Firing, Trigger

pytestmark = pytest.mark.django_db(transaction=True)

SEED = "/api/v1/admin/seed"
WIPE = "/api/v1/admin/wipe-seed"
DATASET = demo_dataset()
# What the seed creates (the dataset's own numbers, and the configuration it writes).
CREATED = {
    "leads": 300,
    "accounts": 15,
    "events": len(DATASET.events),
    "rulesets": 2,
    "decay_rules": 1,
    "inorganic_filters": 1,
    "surge_policies": 1,
    "profile_rulesets": 1,
    "profile_mappings": 3,
    "triggers": 2,
    "segments": 3,
}


@pytest.fixture
def owner(ou):
    return member_client_for(ou, role="Owner")


def score_everything() -> None:
    """What the workers do after the seed commits: score the pending events, run the jobs
    (segment recomputes), until nothing is left."""
    while process_pending_events() or jobs_sweep():
        pass


def test_the_data_set_is_the_same_for_the_same_seed_and_another_for_another():
    again, other = demo_dataset(seed=DEFAULT_SEED), demo_dataset(seed=DEFAULT_SEED + 1)
    assert [lead.metadata["name"] for lead in again.leads] == [
        lead.metadata["name"] for lead in DATASET.leads
    ]
    assert [(e.lead_id, e.event_type, e.ago) for e in again.events] == [
        (e.lead_id, e.event_type, e.ago) for e in DATASET.events
    ]
    assert [lead.metadata["name"] for lead in other.leads] != [
        lead.metadata["name"] for lead in DATASET.leads
    ]
    assert len(DATASET.leads) == 300
    assert len({lead.email for lead in DATASET.leads}) == 300
    assert 10 <= len({lead.account_id for lead in DATASET.leads} - {None}) <= 20
    assert {event.event_type for event in DATASET.events} == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 15
    assert max(event.ago.days for event in DATASET.events) == 29


def test_seed_fills_the_ou_and_the_pipeline_scores_it(owner, ou):
    started = time.monotonic()
    response = owner.post(SEED)
    seconds = time.monotonic() - started

    assert response.status_code == 201, response.content
    body = response.json()
    assert {kind: body["counts"][kind] for kind in CREATED} == CREATED
    assert body["sample_lead"] == {"lead_id": "demo-001", "email": DATASET.leads[0].email}
    assert seconds < 10
    # Stored as ingested events, pending, not as scores.
    events = EngagementEvent.objects.for_ou(ou)
    assert events.filter(source="seed", status="pending").count() == CREATED["events"]
    assert not LeadScore.objects.for_ou(ou).exists()
    assert Lead.objects.for_ou(ou).get(lead_id="demo-001").metadata == DATASET.leads[0].metadata

    score_everything()

    leads = owner.get("/api/v1/leads", {"limit": 100}).json()
    assert leads["total"] == 300
    assert all(lead["engagement_level"] for lead in leads["leads"])
    assert len({lead["engagement_level"] for lead in leads["leads"]}) >= 3
    primary = Ruleset.objects.for_ou(ou).get(is_primary=True)
    assert primary.name == "Engagement"
    assert LeadScore.objects.for_ou(ou).filter(ruleset=primary).count() == 300
    # The bots' bursts: all but the first views of each burst suppressed by the filter.
    suppressed = events.filter(suppression_reason__startswith="inorganic").count()
    assert BOT_LEADS * (BOT_BURST_VIEWS - 8) <= suppressed <= BOT_LEADS * BOT_BURST_VIEWS
    # Both triggers fired and their emails are queued for delivery.
    fired = set(Firing.objects.for_ou(ou).values_list("trigger__kind", flat=True))
    assert fired == {"milestone", "sequence"}
    assert Delivery.objects.for_ou(ou).filter(channel="email").exists()
    # Profile mappings copied form fields; segments hold the tiers' leads.
    assert Lead.objects.for_ou(ou).filter(metadata__has_key="industry").exists()
    assert SegmentMembership.objects.for_ou(ou).count() > 0
    totals = owner.get("/api/v1/analytics").json()["totals"]
    assert (totals["events"], totals["leads"], totals["event_types"]) == (
        CREATED["events"],
        300,
        15,
    )
    assert totals["suppressed_events"] == suppressed
    assert totals["points"] > 0


def test_wipe_takes_exactly_the_seed_and_leaves_the_ous_own_data(owner, ou, issued):
    mine = ruleset_create(ou=ou, member=None, name="Mine")
    rule_create(ou=ou, member=None, ruleset_id=mine.public_id, event_type="signup", weight=7)
    own_event = {
        "aliases": [{"alias_kind": "email", "raw_value": "me@mine.example"}],
        "event_type": "signup",
    }
    assert (
        basic_client_for(issued).post("/api/v1/events", own_event, format="json").status_code == 202
    )
    assert owner.post(SEED).status_code == 201
    score_everything()
    levels_before = list(Level.objects.for_ou(ou).order_by("kind", "min_score").values())

    wiped = owner.post(WIPE)

    assert wiped.status_code == 200
    counts = wiped.json()
    assert {kind: counts[kind] for kind in CREATED} == CREATED
    assert counts["aliases"] == 600
    assert counts["rules"] == 21  # 15 + 6
    assert counts["profile_rules"] == 7
    assert counts["firings"] > 0
    # The OU is as it was: its own ruleset (primary again), lead, score and levels.
    assert list(Ruleset.objects.for_ou(ou).values_list("name", "is_primary")) == [("Mine", True)]
    (mine,) = Lead.objects.for_ou(ou)
    assert LeadScore.objects.for_ou(ou).get(lead=mine).score == 7
    assert EngagementEvent.objects.for_ou(ou).count() == 1
    assert list(Level.objects.for_ou(ou).order_by("kind", "min_score").values()) == levels_before
    for model in (Trigger, Segment, Firing, DemoSeed):
        assert not model.objects.for_ou(ou).exists(), model
    assert owner.get("/api/v1/leads").json()["total"] == 1
    # Nothing left to wipe; the OU may be seeded again.
    assert set(owner.post(WIPE).json().values()) == {0}
    assert owner.post(SEED).status_code == 201


def test_seeding_twice_is_refused_and_writes_nothing(owner, ou):
    assert owner.post(SEED).status_code == 201
    events = EngagementEvent.objects.for_ou(ou).count()

    again = owner.post(SEED)

    assert again.status_code == 409
    assert "wipe" in again.json()["error"]
    assert EngagementEvent.objects.for_ou(ou).count() == events


def test_an_ou_holding_the_seeds_ids_is_refused(owner, ou, issued):
    basic_client_for(issued).post(
        "/api/v1/leads", {"id": "demo-042", "metadata": {}}, format="json"
    )

    assert owner.post(SEED).status_code == 409
    assert not DemoSeed.objects.for_ou(ou).exists()
    assert Lead.objects.for_ou(ou).count() == 1


def test_seed_and_wipe_need_an_owners_jwt(ou, basic_client):
    operator = member_client_for(ou, role="Operator")
    for path in (SEED, WIPE):
        assert operator.post(path).status_code == 403
        assert basic_client.post(path).status_code == 403
    assert not Lead.objects.for_ou(ou).exists()


def test_seed_demo_command_seeds_the_named_ou():
    unit = make_credential().credential.unit
    make_unit(unit.org)  # a second OU: the command needs --ou
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())

    output = io.StringIO()
    call_command("seed_demo", ou=unit.id, stdout=output)

    printed = json.loads(output.getvalue())
    assert printed["ou_id"] == unit.id
    assert printed["counts"]["leads"] == 300
    assert Lead.objects.for_ou(unit).count() == 300
