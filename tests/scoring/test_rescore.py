"""POST /rulesets/{id}/rescore: after the rules change, every lead is replayed under the new
rules by a job whose progress GET reports."""

import pytest

from leadvibe.jobs import job_run, jobs_sweep
from scoring.models import EngagementEvent, RescoreJob, Rule
from scoring.services.engine_config import scoring_config_load
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from scoring.services.scoring_config import scoring_config_changed
from tests.scoring.scoring_helpers import (
    config_spec,
    expected_from_reference,
    new_event,
    store_config,
    stored_scoring,
)

pytestmark = pytest.mark.django_db

CONFIG = config_spec([("demo", 10, None, True)], surge=("off", [], "1"))


def test_rescore_replays_every_lead_under_the_current_rules(client, ou):
    store_config(ou, CONFIG)
    leads = [lead_create(ou=ou, lead_id=f"l{n}", metadata={}) for n in range(3)]
    EngagementEvent.objects.bulk_create(
        [new_event(lead, "demo", minute) for lead in leads for minute in (0, 60)]
    )
    process_pending_events()
    assert all(list(stored_scoring(lead)[0].values()) == [20] for lead in leads)

    rule = Rule.objects.unscoped().get(unit=ou)
    rule.weight = 25
    rule.save()
    scoring_config_changed(ou)
    ruleset_id = rule.ruleset.public_id

    response = client.post(f"/api/v1/rulesets/{ruleset_id}/rescore")
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["status"], job["ruleset_id"], job["progress"]) == ("pending", ruleset_id, 0.0)
    # Asked again while it waits: the same job.
    assert client.post(f"/api/v1/rulesets/{ruleset_id}/rescore").json()["job_id"] == job["job_id"]

    job_run(kind="rescore", job_id=RescoreJob.pk_from_public_id(job["job_id"]))

    done = client.get(f"/api/v1/rulesets/{ruleset_id}/rescore").json()
    assert (done["status"], done["leads_total"], done["leads_done"], done["progress"]) == (
        "completed", 3, 3, 1.0,
    )  # fmt: skip
    config = scoring_config_load(ou.id)
    for lead in leads:
        scores, _, _ = stored_scoring(lead)
        assert list(scores.values()) == [50]  # 25 + 25
        assert stored_scoring(lead) == expected_from_reference(lead, config)


def test_a_job_left_by_a_dead_worker_is_resumed_by_the_sweep(client, ou):
    store_config(ou, CONFIG)
    lead = lead_create(ou=ou, lead_id="l", metadata={})
    EngagementEvent.objects.bulk_create([new_event(lead, "demo", 0)])
    process_pending_events()
    ruleset_id = Rule.objects.unscoped().get(unit=ou).ruleset.public_id
    job_id = client.post(f"/api/v1/rulesets/{ruleset_id}/rescore").json()["job_id"]
    RescoreJob.objects.unscoped().update(status="running", progress_total=1)  # its worker died

    assert jobs_sweep() == 1
    job = RescoreJob.objects.unscoped().get(pk=RescoreJob.pk_from_public_id(job_id))
    assert job.status == "completed"


def test_rescore_of_an_unknown_ruleset_is_404(client, ou):
    assert client.post("/api/v1/rulesets/rs_999999/rescore").status_code == 404
    store_config(ou, CONFIG)
    ruleset_id = Rule.objects.unscoped().get(unit=ou).ruleset.public_id
    assert client.get(f"/api/v1/rulesets/{ruleset_id}/rescore").status_code == 404


def test_deleting_events_replays_their_leads(client, ou):
    store_config(ou, CONFIG)
    lead = lead_create(ou=ou, lead_id="l", metadata={})
    EngagementEvent.objects.bulk_create([new_event(lead, "demo", m) for m in (0, 60, 120)])
    process_pending_events()
    first = EngagementEvent.objects.unscoped().filter(lead=lead).order_by("seq").first()

    response = client.post("/api/v1/events/delete", {"ids": [first.public_id]}, format="json")

    assert response.status_code == 200, response.content
    assert list(stored_scoring(lead)[0].values()) == [20]  # 30 - the deleted event's 10
    assert stored_scoring(lead) == expected_from_reference(lead, scoring_config_load(ou.id))


def test_deleting_every_event_of_a_type_starts_a_rescore(ou):
    from scoring.services.ou_settings import event_type_events_delete

    store_config(ou, {**CONFIG, "rulesets": [{"rules": [("demo", 10, None, True),
                                                          ("spam", 5, None, True)],
                                               "active": True}]})  # fmt: skip
    lead = lead_create(ou=ou, lead_id="l", metadata={})
    EngagementEvent.objects.bulk_create([new_event(lead, "demo", 0), new_event(lead, "spam", 5)])
    process_pending_events()

    event_type_events_delete(ou=ou, event_type="spam")
    job = RescoreJob.objects.unscoped().get(unit=ou)
    assert job.status == "pending"
    job_run(kind="rescore", job_id=job.id)

    assert list(stored_scoring(lead)[0].values()) == [10]
