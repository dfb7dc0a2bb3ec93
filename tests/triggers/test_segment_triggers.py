"""Segment triggers (architecture.md §8): their routes and validation, and what they fire when
leads enter or leave their segment: a signed webhook to a real receiver for lead changes,
nothing for recomputes after a rule change or an activation, nothing for changes made before
the trigger existed; `once` and `always`, cooldown; the firings listed and exported."""

import csv
import datetime
import io

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from leadvibe.jobs import jobs_sweep
from scoring.services.decay_sweep import decay_sweep
from scoring.services.lead_changes import lead_merge, lead_metadata_patch
from scoring.services.leads import lead_create
from segments.extension_points import MEMBERSHIP_CHANGED, MembershipChange, MembershipChanged
from segments.models import SegmentMembership
from segments.services.config import (
    segment_create,
    segment_delete,
    segment_rule_create,
    segment_update,
)
from tests.factories import make_unit
from tests.scoring.scoring_helpers import decay_rule
from tests.triggers.trigger_helpers import primary_ruleset, send_events
from triggers.models import Delivery, Firing, Trigger
from triggers.services.delivery import deliveries_sweep
from triggers.services.trigger_config import trigger_create
from triggers.services.webhook_secret import reveal_webhook_secret

API = "/api/v1"
ROUTE = "/triggers/segments"
HOOK = "http://127.0.0.1:9/hook"  # loopback: allowed by the test settings


def call(client, method, path, body=None, status=200):
    response = getattr(client, method)(f"{API}{path}", body, format="json")
    assert response.status_code == status, response.content
    return response


def pro_segment(ou, *, name="Pro plan", active=True):
    """Leads whose metadata says plan = pro."""
    segment = segment_create(ou=ou, member=None, name=name, active=active)
    segment_rule_create(
        ou=ou, member=None, segment_id=segment.public_id, rule_type="lead_metadata",
        field_name="plan", operator="equals", value="pro",
    )  # fmt: skip
    return segment


def segment_trigger(ou, segment, on="enter", **fields) -> Trigger:
    return trigger_create(
        ou=ou, member=None, kind="segment", segment_id=segment.public_id,
        segment_direction=on, **fields,
    )  # fmt: skip


def set_plan(ou, lead_id: str, plan: str) -> None:
    lead_metadata_patch(ou=ou, lead_id=lead_id, patch={"plan": plan})


def firings(trigger=None) -> list[tuple[str, str, str]]:
    rows = Firing.objects.unscoped().order_by("id")
    if trigger is not None:
        rows = rows.filter(trigger=trigger)
    return [(f.kind, f.lead.lead_id, f.payload["cause"]) for f in rows]


# --- Configuration --------------------------------------------------------------------------


@pytest.mark.django_db
def test_segment_trigger_crud(client, ou):
    hot = segment_create(ou=ou, member=None, name="Hot")
    warm = segment_create(ou=ou, member=None, name="Warm")
    created = call(
        client, "post", ROUTE,
        {"segment_id": hot.public_id, "on": "enter", "name": "Hot lead", "webhook_url": HOOK},
        status=201,
    ).json()  # fmt: skip
    assert created["trigger_id"].startswith("tr_")
    assert (created["segment_id"], created["on"], created["name"]) == (
        hot.public_id, "enter", "Hot lead",
    )  # fmt: skip
    assert (created["fire_mode"], created["cooldown_seconds"], created["active"]) == (
        "once", 0, True,
    )  # fmt: skip
    assert (created["webhook_url"], created["unit_id"]) == (HOOK, ou.id)
    assert call(client, "get", ROUTE).json() == [created]

    path = f"{ROUTE}/{created['trigger_id']}"
    changed = call(
        client, "put", path,
        {"segment_id": warm.public_id, "on": "exit", "fire_mode": "always",
         "cooldown_seconds": 600},
    ).json()  # fmt: skip
    assert (changed["segment_id"], changed["on"], changed["fire_mode"]) == (
        warm.public_id, "exit", "always",
    )  # fmt: skip
    assert (changed["cooldown_seconds"], changed["name"]) == (600, "Hot lead")  # kept

    # Not a trigger of the other kinds' routes, nor theirs of this one.
    call(client, "put", f"/triggers/milestones/{created['trigger_id']}", {"name": "x"}, 404)
    milestone = trigger_create(ou=ou, member=None, kind="milestone", score_threshold=5)
    call(client, "put", f"{ROUTE}/{milestone.public_id}", {"name": "x"}, 404)
    call(client, "delete", path, status=204)
    assert call(client, "get", ROUTE).json() == []
    call(client, "delete", path, status=404)


@pytest.mark.django_db
def test_deleting_the_segment_deletes_its_triggers_with_what_they_fired(client, ou):
    segment = pro_segment(ou)
    trigger = segment_trigger(ou, segment, webhook_url=HOOK)
    lead_create(ou=ou, lead_id="jo", metadata={})
    set_plan(ou, "jo", "pro")
    assert firings(trigger) == [("segment_entered", "jo", "metadata")]

    segment_delete(ou=ou, segment_id=segment.public_id)
    assert call(client, "get", ROUTE).json() == []
    assert not Firing.objects.unscoped().exists()
    assert not Delivery.objects.unscoped().exists()


SEGMENT = object()  # the OU's segment
FOREIGN = object()  # a segment of another OU of the same organization
INVALID = [
    ({"on": "enter"}, "segment_id"),
    ({"segment_id": "sg_999999999", "on": "enter"}, "segment_id"),
    ({"segment_id": FOREIGN, "on": "enter"}, "segment_id"),
    ({"segment_id": "rs_1", "on": "enter"}, "segment_id"),
    ({"segment_id": "sg_\u00b2", "on": "enter"}, "segment_id"),  # a digit int() cannot read
    ({"segment_id": "sg_1\x00", "on": "enter"}, "segment_id"),
    ({"segment_id": "sg_" + "9" * 40, "on": "enter"}, "segment_id"),
    ({"segment_id": 12, "on": "enter"}, "segment_id"),
    ({"segment_id": {"a": [[[[{"b": 1}]]]]}, "on": "enter"}, "segment_id"),
    ({"segment_id": None, "on": "enter"}, "segment_id"),
    ({"segment_id": SEGMENT, "on": "both"}, "on"),
    ({"segment_id": SEGMENT}, "on"),
    ({"segment_id": SEGMENT, "on": None}, "on"),
    ({"segment_id": SEGMENT, "on": ["enter"]}, "on"),
    ({"segment_id": SEGMENT, "on": "enter", "fire_mode": "sometimes"}, "fire_mode"),
    ({"segment_id": SEGMENT, "on": "enter", "cooldown_seconds": -1}, "cooldown_seconds"),
    ({"segment_id": SEGMENT, "on": "enter", "cooldown_seconds": 10**30}, "cooldown_seconds"),
    ({"segment_id": SEGMENT, "on": "enter", "webhook_url": "http://10.0.0.1/"}, "webhook_url"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "field"), INVALID)
def test_invalid_segment_triggers_are_400_naming_the_field(client, ou, body, field):
    segment = segment_create(ou=ou, member=None, name="Hot")
    theirs = segment_create(ou=make_unit(ou.org), member=None, name="Theirs")
    ids = {SEGMENT: segment.public_id, FOREIGN: theirs.public_id}
    if body.get("segment_id") in (SEGMENT, FOREIGN):
        body = {**body, "segment_id": ids[body["segment_id"]]}
    response = call(client, "post", ROUTE, body, status=400).json()
    assert (response["status"], field in response["details"]) == (400, True), response
    assert call(client, "get", ROUTE).json() == []

    existing = segment_trigger(ou, segment)
    if field in body:
        path = f"{ROUTE}/{existing.public_id}"
        response = call(client, "put", path, {field: body[field]}, status=400).json()
        assert field in response["details"], response
        unchanged = Trigger.objects.unscoped().get(pk=existing.pk)
        assert (unchanged.segment_id, unchanged.segment_direction) == (segment.pk, "enter")


@pytest.mark.django_db
def test_a_segment_trigger_needs_its_segment_and_direction_in_the_database(ou):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        Trigger.objects.create(org_id=ou.org_id, unit=ou, kind="segment", segment_direction="")


# --- Firing ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_entering_by_an_event_sends_a_signed_webhook(client, ou, webhook_receiver):
    primary_ruleset(ou, {"demo": 30})
    segment = segment_create(ou=ou, member=None, name="Hot")
    segment_rule_create(
        ou=ou, member=None, segment_id=segment.public_id, rule_type="engagement_score",
        field_name="", operator="greater_than", value="50",
    )  # fmt: skip
    trigger = segment_trigger(ou, segment, name="Went hot", webhook_url=webhook_receiver.url())
    exits = segment_trigger(ou, segment, on="exit", webhook_url=webhook_receiver.url("/exit"))
    secret = reveal_webhook_secret(ou)["secret"]
    lead_create(ou=ou, lead_id="jo", metadata={"company": "Acme"})
    jobs_sweep()  # the rule's recompute: nobody is in yet

    send_events(client, "jo", [("demo", 0)])  # 30: not in
    assert firings() == []
    send_events(client, "jo", [("demo", 60)])  # 60: in
    assert firings() == [("segment_entered", "jo", "event")]
    deliveries_sweep()

    (request,) = webhook_receiver.wait_for(1)
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "trigger.segment_entered"
    data = payload["data"]
    assert data["trigger"] == {"id": trigger.public_id, "kind": "segment", "name": "Went hot"}
    assert data["lead"] == {"id": "jo", "metadata": {"company": "Acme"}}
    assert data["segment"] == {"id": segment.public_id, "name": "Hot"}
    assert (data["direction"], data["cause"], data["score"], data["event"]) == (
        "enter", "event", 60, None,
    )  # fmt: skip
    assert Delivery.objects.unscoped().get().status == "delivered"

    # Listed with the other emitted events, and exported.
    (listed,) = call(client, "get", "/triggers/segments/events").json()
    assert (listed["type"], listed["trigger_id"], listed["lead_id"]) == (
        "segment_entered", trigger.public_id, "jo",
    )  # fmt: skip
    assert (listed["event_id"], listed["score"], listed["deliveries"]["delivered"]) == (
        None, 60, 1,
    )  # fmt: skip
    exported = call(client, "get", "/triggers/segments/events/export")
    exported = b"".join(exported.streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(exported))
    assert (row["type"], row["lead_id"], row["event_id"]) == ("segment_entered", "jo", "")
    assert call(client, "get", "/triggers/milestones/events").json() == []
    assert firings(exits) == []


@pytest.mark.django_db(transaction=True)
def test_leaving_by_a_metadata_change_fires_the_exit_trigger(client, ou, webhook_receiver):
    segment = pro_segment(ou)
    lead_create(ou=ou, lead_id="jo", metadata={})
    set_plan(ou, "jo", "pro")
    exits = segment_trigger(ou, segment, on="exit", webhook_url=webhook_receiver.url())
    enters = segment_trigger(ou, segment, on="enter")
    secret = reveal_webhook_secret(ou)["secret"]

    set_plan(ou, "jo", "free")
    assert firings(exits) == [("segment_exited", "jo", "metadata")]
    assert firings(enters) == []
    deliveries_sweep()
    (request,) = webhook_receiver.wait_for(1)
    data = Webhook(secret).verify(request.body, request.headers)["data"]
    assert (data["segment"]["id"], data["direction"], data["cause"]) == (
        segment.public_id, "exit", "metadata",
    )  # fmt: skip
    assert data["score"] is None  # the OU has no primary ruleset


@pytest.mark.django_db(transaction=True)
def test_recomputes_after_rule_changes_or_activation_never_fire(ou):
    lead_create(ou=ou, lead_id="jo", metadata={"plan": "pro"})
    segment = segment_create(ou=ou, member=None, name="Pro")
    trigger = segment_trigger(ou, segment, fire_mode="always", webhook_url=HOOK)
    segment_rule_create(
        ou=ou, member=None, segment_id=segment.public_id, rule_type="lead_metadata",
        field_name="plan", operator="equals", value="pro",
    )  # fmt: skip
    jobs_sweep()
    assert SegmentMembership.objects.for_ou(ou).filter(segment=segment).count() == 1
    segment_update(ou=ou, member=None, segment_id=segment.public_id, active=False)
    segment_update(ou=ou, member=None, segment_id=segment.public_id, active=True)
    jobs_sweep()
    assert SegmentMembership.objects.for_ou(ou).filter(segment=segment).count() == 1
    assert firings() == []
    assert not Delivery.objects.unscoped().exists()

    # The lead's own changes do fire.
    set_plan(ou, "jo", "free")
    set_plan(ou, "jo", "pro")
    assert firings(trigger) == [("segment_entered", "jo", "metadata")]


@pytest.mark.django_db(transaction=True)
def test_a_change_made_before_the_trigger_existed_does_not_fire(ou):
    segment = pro_segment(ou)
    jo = lead_create(ou=ou, lead_id="jo", metadata={})
    trigger = segment_trigger(ou, segment, fire_mode="always")

    def changed(at: datetime.datetime) -> None:
        with transaction.atomic():
            MEMBERSHIP_CHANGED.publish(
                MembershipChanged(
                    unit_id=ou.id, cause="event", at=at,
                    changes=(MembershipChange(segment.pk, jo.pk, "jo", entered=True),),
                )
            )  # fmt: skip

    changed(trigger.created_at - datetime.timedelta(microseconds=1))
    assert firings() == []
    changed(trigger.created_at)
    assert firings(trigger) == [("segment_entered", "jo", "event")]


@pytest.mark.django_db(transaction=True)
def test_once_fires_on_the_first_entry_and_always_on_each(ou):
    segment = pro_segment(ou)
    once = segment_trigger(ou, segment)
    always = segment_trigger(ou, segment, fire_mode="always")
    inactive = segment_trigger(ou, segment, fire_mode="always", active=False)
    lead_create(ou=ou, lead_id="jo", metadata={})
    lead_create(ou=ou, lead_id="al", metadata={})
    for plan in ("pro", "free", "pro", "free", "pro"):
        set_plan(ou, "jo", plan)
    set_plan(ou, "al", "pro")

    assert firings(once) == [
        ("segment_entered", "jo", "metadata"), ("segment_entered", "al", "metadata"),
    ]  # fmt: skip
    assert [lead for _, lead, _ in firings(always)] == ["jo", "jo", "jo", "al"]
    assert firings(inactive) == []


@pytest.mark.django_db(transaction=True)
def test_always_fires_at_most_once_per_cooldown_per_lead(ou):
    segment = pro_segment(ou)
    cooled = segment_trigger(ou, segment, fire_mode="always", cooldown_seconds=3600)
    lead_create(ou=ou, lead_id="jo", metadata={})
    lead_create(ou=ou, lead_id="al", metadata={})
    for plan in ("pro", "free", "pro"):
        set_plan(ou, "jo", plan)
    set_plan(ou, "al", "pro")
    assert [lead for _, lead, _ in firings(cooled)] == ["jo", "al"]

    # An hour later, jo's next entry fires again.
    Firing.objects.unscoped().filter(lead__lead_id="jo").update(
        occurred_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=3601)
    )
    set_plan(ou, "jo", "free")
    set_plan(ou, "jo", "pro")
    assert [lead for _, lead, _ in firings(cooled)] == ["jo", "al", "jo"]


@pytest.mark.django_db(transaction=True)
def test_leaving_by_decay_and_entering_by_a_merge_fire(client, ou):
    primary_ruleset(ou, {"demo": 30})
    hot = segment_create(ou=ou, member=None, name="Warm")
    segment_rule_create(
        ou=ou, member=None, segment_id=hot.public_id, rule_type="engagement_score",
        operator="greater_than", value="25",
    )  # fmt: skip
    lead_create(ou=ou, lead_id="jo", metadata={})
    lead_create(ou=ou, lead_id="jo-old", metadata={"plan": "pro"})
    pro = pro_segment(ou)
    jobs_sweep()
    cooled = segment_trigger(ou, hot, on="exit")
    merged_in = segment_trigger(ou, pro)
    send_events(client, "jo", [("demo", 0)])  # 30: in Warm

    decay_rule(ou, decrease=10, time_unit="hours")
    decay_sweep(now=timezone.now() + datetime.timedelta(days=1))
    assert firings(cooled) == [("segment_exited", "jo", "decay")]

    lead_merge(ou=ou, target_id="jo", source_ids=["jo-old"])  # jo takes plan=pro
    assert firings(merged_in) == [("segment_entered", "jo", "merge")]
