"""Profile scoring under concurrent transactions: a batch leaves the events of a lead another
transaction holds for a later batch, without waiting; rule changes and metadata changes at
the same time leave every stored profile score equal to the rules applied to the metadata."""

import threading

import pytest
from django.db import connection, transaction

from scoring.engine.profile import profile_scores
from scoring.fit.selectors import PROFILE, fit_config_load
from scoring.models import EngagementEvent, Lead, LeadProfileScore
from scoring.services.pipeline import process_pending_batch, process_pending_events

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1"
BULK_LEADS = 5000


def _post(client, path, body, status=201) -> dict:
    response = client.post(f"{API}{path}", body, format="json")
    assert response.status_code == status, response.content
    return response.json()


def test_a_batch_leaves_the_events_of_a_held_lead_for_a_later_batch(client, ou):
    _post(client, "/profile/mappings", {"source_field": "utm_source", "profile_property": "src"})
    _post(client, "/leads", {"id": "ann"})
    _post(client, "/events", {"lead_id": "ann", "event_type": "visit",
                              "metadata": {"utm_source": "ads"}}, status=202)  # fmt: skip
    locked, release = threading.Event(), threading.Event()

    def hold_the_lead():
        try:
            with transaction.atomic():
                Lead.objects.unscoped().select_for_update().get(lead_id="ann")
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lead)
    holder.start()
    try:
        assert locked.wait(10)
        assert process_pending_batch() == 0  # at once, without waiting for the lead
        assert EngagementEvent.objects.unscoped().get().status == EngagementEvent.Status.PENDING
    finally:
        release.set()
        holder.join()

    assert process_pending_events() == 1
    assert Lead.objects.unscoped().get(lead_id="ann").metadata == {"src": "ads"}


def test_rule_and_metadata_changes_at_once_leave_consistent_scores(client, ou):
    ruleset = _post(client, "/profile/rulesets", {"name": "ICP"})
    rule = _post(
        client,
        f"/profile/rulesets/{ruleset['id']}/rules",
        {"profile_property": "size", "condition": "greater_than", "comparison_value": "10",
         "weight": 1},
    )  # fmt: skip
    for n in range(5):
        _post(client, "/leads", {"id": f"lead{n}", "metadata": {"size": 0}})
    # Many more leads make each rule change's recompute long enough to overlap the PATCHes.
    Lead.objects.bulk_create(
        Lead(org_id=ou.org_id, unit=ou, lead_id=f"bulk{n}", metadata={"size": n % 20})
        for n in range(BULK_LEADS)
    )
    rule_path = f"{API}/profile/rulesets/{ruleset['id']}/rules/{rule['id']}"
    start, rules_done = threading.Barrier(6, timeout=10), threading.Event()
    statuses = []

    def change_rules():
        for weight in range(2, 6):
            statuses.append(client.put(rule_path, {"weight": weight}, format="json").status_code)
        rules_done.set()

    def patch_metadata(n):
        # Moves the lead across the rule's threshold (size 10) until the rules stop changing.
        for round_ in range(1, 500):
            size = 20 * ((round_ + n) % 2)
            path = f"{API}/leads/lead{n}/metadata"
            statuses.append(client.patch(path, {"size": size}, format="json").status_code)
            if rules_done.is_set():
                return

    def run(target, *args):
        try:
            start.wait()
            target(*args)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(patch_metadata, n)) for n in range(5)]
    threads.append(threading.Thread(target=run, args=(change_rules,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(statuses) == {200}
    rulesets = fit_config_load(ou.pk).rulesets(PROFILE)
    assert [rule.weight for ruleset in rulesets for rule in ruleset.rules] == [5]
    expected = {
        (lead.pk, ruleset_pk, score)
        for lead in Lead.objects.for_ou(ou)
        for ruleset_pk, score in profile_scores(lead.metadata, rulesets).items()
    }
    assert (
        set(LeadProfileScore.objects.unscoped().values_list("lead_id", "ruleset_id", "score"))
        == expected
    )
