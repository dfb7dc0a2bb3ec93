"""What each kind of trigger cannot work without, held by the database too (CheckConstraints
of migration triggers 0002): a write that goes around the services fails, and the API still
answers the same bad input with a 400, never a 500."""

import pytest
from django.db import IntegrityError, transaction

from tests.api_clients import member_client_for
from tests.triggers.test_trigger_api import MINIMAL, ROUTES
from triggers.models import Trigger

pytestmark = pytest.mark.django_db

API = "/api/v1"
# A valid trigger of each kind as stored (sent to the API: MINIMAL).
STORED = {
    **MINIMAL,
    "sequence": {"event_steps": ["visit", "demo"], "window_seconds": 3600},
}
# (kind, stored fields that break the kind's invariant, the same sent to the API, the field
# the API names)
BROKEN = [
    ("milestone", {"score_threshold": None}, {"score_threshold": None}, "score_threshold"),
    ("sequence", {"event_steps": []}, {"event_types": []}, "event_types"),
    ("sequence", {"window_seconds": None}, {"window_seconds": None}, "window_seconds"),
    ("pattern", {"conditions": []}, {"conditions": []}, "conditions"),
    ("pattern", {"window_seconds": 0}, {"window_seconds": 0}, "window_seconds"),
    ("surge", {"threshold_count": None}, {"threshold_count": None}, "threshold_count"),
    ("surge", {"threshold_count": 0}, {"threshold_count": 0}, "threshold_count"),
    ("surge", {"window_seconds": None}, {"window_seconds": None}, "window_seconds"),
]


def stored_trigger(ou, kind, **fields) -> Trigger:
    return Trigger(org_id=ou.org_id, unit=ou, kind=kind, **{**STORED[kind], **fields})


def answer(client, method, path, body):
    response = getattr(client, method)(f"{API}{path}", body, format="json")
    return response.status_code, response.json()


@pytest.mark.parametrize(("kind", "stored", "sent", "field"), BROKEN)
def test_a_trigger_missing_what_its_kind_needs_is_refused_by_the_database_and_the_api(
    ou, kind, stored, sent, field
):
    with pytest.raises(IntegrityError), transaction.atomic():
        stored_trigger(ou, kind, **stored).save()

    client = member_client_for(ou)
    status, body = answer(client, "post", ROUTES[kind], {**MINIMAL[kind], **sent})
    assert (status, body["status"]) == (400, 400), body
    assert field in body["details"]

    status, made = answer(client, "post", ROUTES[kind], MINIMAL[kind])
    assert status == 201, made
    status, body = answer(client, "put", f"{ROUTES[kind]}/{made['trigger_id']}", sent)
    assert (status, body["status"]) == (400, 400), body
    assert field in body["details"]


@pytest.mark.parametrize("kind", list(STORED))
def test_a_trigger_with_what_its_kind_needs_is_stored(ou, kind):
    stored_trigger(ou, kind).save()
    assert Trigger.objects.for_ou(ou).filter(kind=kind).count() == 1
