"""Concurrent events naming the same new person resolve to one lead."""

import pytest

from scoring.models import EngagementEvent, Lead, LeadAlias
from tests.concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_first_events_of_a_person_create_one_lead(client):
    def send(n):
        body = {
            "event_type": "signup",
            "aliases": [
                {"alias_kind": "email", "raw_value": "same@x.test"},
                {"alias_kind": "cookie", "raw_value": f"device-{n}"},
            ],
        }
        return client.post("/api/v1/events", body, format="json").status_code

    statuses = run_in_threads(send, count=8, start_together=True)

    assert statuses == [202] * 8
    assert Lead.objects.unscoped().count() == 1
    assert (
        EngagementEvent.objects.unscoped().filter(lead=Lead.objects.unscoped().get()).count() == 8
    )
    assert LeadAlias.objects.unscoped().filter(kind="cookie").count() == 8


def test_concurrent_batches_naming_the_same_new_people_all_land(client):
    """Four batches of 300 events over the same 200 new emails, sent at once: every event is
    stored, and each email ends up with exactly one lead."""

    def send(n):
        events = [
            {
                "event_type": "page_view",
                "aliases": [{"alias_kind": "email", "raw_value": f"p{(i * (n + 1)) % 200}@x.test"}],
            }
            for i in range(300)
        ]
        return client.post("/api/v1/events/batch", {"events": events}, format="json")

    answers = run_in_threads(send, count=4, start_together=True)

    assert [a.status_code for a in answers] == [202] * 4
    assert all(a.json()["accepted"] == 300 for a in answers)
    assert EngagementEvent.objects.unscoped().count() == 1200
    assert LeadAlias.objects.unscoped().count() == Lead.objects.unscoped().count() == 200
