"""Concurrent events naming the same new person resolve to one lead."""

import threading

import pytest
from django.db import connection

from scoring.models import EngagementEvent, Lead, LeadAlias

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_first_events_of_a_person_create_one_lead(client):
    start = threading.Barrier(8, timeout=10)
    statuses = []

    def send(n):
        try:
            start.wait()
            response = client.post(
                "/api/v1/events",
                {
                    "event_type": "signup",
                    "aliases": [
                        {"alias_kind": "email", "raw_value": "same@x.test"},
                        {"alias_kind": "cookie", "raw_value": f"device-{n}"},
                    ],
                },
                format="json",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [202] * 8
    assert Lead.objects.unscoped().count() == 1
    assert (
        EngagementEvent.objects.unscoped().filter(lead=Lead.objects.unscoped().get()).count() == 8
    )
    assert LeadAlias.objects.unscoped().filter(kind="cookie").count() == 8


def test_concurrent_batches_naming_the_same_new_people_all_land(client):
    """Four batches of 300 events over the same 200 new emails, sent at once: every event is
    stored, and each email ends up with exactly one lead."""
    start = threading.Barrier(4, timeout=10)
    answers = []

    def send(n):
        events = [
            {
                "event_type": "page_view",
                "aliases": [{"alias_kind": "email", "raw_value": f"p{(i * (n + 1)) % 200}@x.test"}],
            }
            for i in range(300)
        ]
        try:
            start.wait()
            answers.append(client.post("/api/v1/events/batch", {"events": events}, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [202] * 4
    assert all(a.json()["accepted"] == 300 for a in answers)
    assert EngagementEvent.objects.unscoped().count() == 1200
    assert LeadAlias.objects.unscoped().count() == Lead.objects.unscoped().count() == 200
