"""Triggers fired by the scoring pipeline and their deliveries, in process: events ingested
through the API, scored by the pipeline, firings and deliveries written in its transaction,
then sent to a real HTTP receiver, Django's mail outbox and the fake Slack."""

import datetime
import json

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from scoring.services.leads import lead_create
from tests.triggers.trigger_helpers import (
    connect_slack,
    make_trigger,
    primary_ruleset,
    send_events,
)
from triggers.models import Delivery, Firing, Trigger
from triggers.services.delivery import MAX_ATTEMPTS, deliveries_sweep
from triggers.services.webhook_secret import reveal_webhook_secret

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def jo(ou):
    return lead_create(ou=ou, lead_id="jo", metadata={})


def deliver_all() -> None:
    deliveries_sweep()


def time_travel_to_next_attempts() -> None:
    """Makes every pending retry due now, as if its delay had passed."""
    Delivery.objects.unscoped().filter(status="pending").update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def test_a_milestone_crossing_is_delivered_once_to_webhook_email_and_slack(
    client, ou, webhook_receiver, fake_slack
):
    primary_ruleset(ou, {"demo": 30})
    workspace = fake_slack.add_workspace()
    connect_slack(ou, workspace)
    channel = next(c["id"] for c in workspace.channels if c["is_member"])
    trigger = make_trigger(
        ou, "milestone", name="Hot lead", score_threshold=50,
        webhook_url=webhook_receiver.url(), emails=["sales@acme.test"],
        email_subject="{{ trigger.name }}: {{ lead.metadata.company }}",
        email_preheader="Score {{ score }}",
        email_message="Lead <{{ lead.id }}> of {{ lead.metadata.company }} reached {{ score }}",
        slack_target_kind="channel", slack_target_id=channel,
    )  # fmt: skip
    secret = reveal_webhook_secret(ou)["secret"]
    lead_create(ou=ou, lead_id="jo", metadata={"company": "Acme & Co"})

    # 30, then 60 (crosses 50), then the 3rd of the session x1.25: 98.
    send_events(client, "jo", [("demo", 0), ("demo", 60), ("demo", 120)])

    firing = Firing.objects.unscoped().get()
    assert (firing.trigger_id, firing.kind, firing.score, firing.event_type) == (
        trigger.id, "milestone", 60, "demo",
    )  # fmt: skip
    assert sorted(Delivery.objects.unscoped().values_list("channel", "status")) == [
        ("email", "pending"), ("slack", "pending"), ("webhook", "pending"),
    ]  # fmt: skip
    deliver_all()
    assert set(Delivery.objects.unscoped().values_list("status", "attempts")) == {("delivered", 1)}

    (request,) = webhook_receiver.wait_for(1)
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "trigger.milestone"
    assert payload["data"]["lead"]["id"] == "jo"
    assert payload["data"]["score"] == 60
    assert payload["data"]["trigger"]["id"] == trigger.public_id

    (message,) = mail.outbox
    assert message.subject == "Hot lead: Acme & Co"
    assert message.to == ["sales@acme.test"]
    assert "Lead <jo> of Acme & Co reached 60" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    # The HTML part escapes what the variables bring, not the template's own markup.
    assert "Lead <jo> of Acme &amp; Co reached 60" in html
    assert "Score 60" in html

    (posted,) = fake_slack.messages_to(channel)
    assert "Lead <jo> of Acme & Co reached 60" in posted.text

    # A late event makes the pipeline replay the lead's history: nothing fires again.
    send_events(client, "jo", [("demo", 30)])
    assert Firing.objects.unscoped().count() == 1
    assert Delivery.objects.unscoped().count() == 3


def test_a_receiver_failing_twice_gets_the_third_attempt(client, ou, jo, webhook_receiver):
    primary_ruleset(ou, {"demo": 60})
    make_trigger(ou, "milestone", score_threshold=50, webhook_url=webhook_receiver.url())
    webhook_receiver.answer_next(500, 500)
    send_events(client, "jo", [("demo", 0)])

    deliver_all()
    delivery = Delivery.objects.unscoped().get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    first_delay = delivery.next_attempt_at - delivery.updated_at
    assert datetime.timedelta(seconds=4) < first_delay < datetime.timedelta(seconds=6)

    time_travel_to_next_attempts()
    assert deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    second_delay = delivery.next_attempt_at - delivery.updated_at
    assert datetime.timedelta(minutes=4.5) < second_delay < datetime.timedelta(minutes=5.5)

    assert deliveries_sweep() == 0  # not due yet
    time_travel_to_next_attempts()
    deliveries_sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 3, "")
    assert len(webhook_receiver.requests) == 3
    ids = {request.headers["webhook-id"] for request in webhook_receiver.requests}
    assert len(ids) == 1  # the same message id on every attempt: receivers can deduplicate


def test_a_receiver_always_down_ends_failed_after_the_schedule(client, ou, jo, webhook_receiver):
    primary_ruleset(ou, {"demo": 60})
    make_trigger(ou, "milestone", score_threshold=50, webhook_url=webhook_receiver.url())
    webhook_receiver.answer_next(*[503] * MAX_ATTEMPTS, headers={"Retry-After": "1"})
    send_events(client, "jo", [("demo", 0)])

    deliver_all()
    for _ in range(MAX_ATTEMPTS - 1):
        time_travel_to_next_attempts()
        deliveries_sweep()
    delivery = Delivery.objects.unscoped().get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "failed", MAX_ATTEMPTS, None,
    )  # fmt: skip
    assert delivery.last_error == "HTTP 503"
    assert len(webhook_receiver.requests) == MAX_ATTEMPTS == 8
    response = client.get("/api/v1/triggers/deliveries", {"status": "failed"})
    assert response.status_code == 200, response.content
    (listed,) = response.json()
    assert (listed["channel"], listed["target"], listed["attempts"], listed["last_error"]) == (
        "webhook", webhook_receiver.url(), 8, "HTTP 503",
    )  # fmt: skip
    assert listed["next_attempt_at"] is None


def test_410_gone_disables_the_url_for_that_trigger(client, ou, jo, webhook_receiver):
    primary_ruleset(ou, {"demo": 60, "unsubscribe": -60})
    trigger = make_trigger(
        ou, "milestone", score_threshold=50, fire_mode="always", webhook_url=webhook_receiver.url()
    )
    webhook_receiver.answer_next(410)
    send_events(client, "jo", [("demo", 0)])
    deliver_all()
    assert Delivery.objects.unscoped().get().status == "disabled"
    trigger.refresh_from_db()
    assert trigger.webhook_disabled_at is not None

    # The next crossing fires but sends nothing to the gone endpoint.
    send_events(client, "jo", [("unsubscribe", 100), ("demo", 200)])
    assert Firing.objects.unscoped().filter(kind="milestone").count() == 2
    assert Delivery.objects.unscoped().count() == 1
    assert len(webhook_receiver.requests) == 1


def test_webhook_signature_carries_both_secrets_during_a_rotation(client, ou, jo, webhook_receiver):
    from triggers.services.webhook_secret import rotate_webhook_secret

    primary_ruleset(ou, {"demo": 60})
    make_trigger(ou, "milestone", score_threshold=50, webhook_url=webhook_receiver.url())
    old = reveal_webhook_secret(ou)["secret"]
    new = rotate_webhook_secret(ou)["secret"]
    assert old != new
    assert new.startswith("whsec_")
    assert reveal_webhook_secret(ou)["secret"] is None  # shown once
    send_events(client, "jo", [("demo", 0)])
    deliver_all()
    (request,) = webhook_receiver.wait_for(1)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "trigger.milestone"
    assert json.loads(request.body)["data"]["lead"]["id"]
    assert Trigger.objects.unscoped().get().webhook_disabled_at is None


def lead(client, lead_id: str) -> None:
    response = client.post("/api/v1/leads", {"id": lead_id, "metadata": {}}, format="json")
    assert response.status_code in (200, 201), response.content


def fired(kind: str) -> list[tuple[str, str, int]]:
    return sorted(
        Firing.objects.unscoped()
        .filter(kind=kind)
        .values_list("lead__lead_id", "event_type", "event_seq")
    )


def test_sequences_patterns_and_surges_fire_from_the_pipeline_as_simulated(client, ou):
    from triggers.services.simulation import simulate_trigger

    primary_ruleset(ou, {"visit": 1, "pricing": 1, "demo": 1})
    ordered = make_trigger(
        ou, "sequence", event_steps=["visit", "pricing", "demo"], window_seconds=600
    )
    unordered = make_trigger(
        ou, "sequence", event_steps=["demo", "visit"], ordered=False, window_seconds=600,
        fire_mode="always",
    )  # fmt: skip
    pattern = make_trigger(
        ou, "pattern", window_seconds=300,
        conditions=[{"event_type": "visit", "min_count": 2, "metadata": {"page": "pricing"}},
                    {"event_type": "demo", "min_count": 1}],
    )  # fmt: skip
    surge = make_trigger(ou, "surge", event_type="visit", threshold_count=3, window_seconds=60)
    milestone = make_trigger(ou, "milestone", score_threshold=4, fire_mode="always")
    for lead_id in ("ann", "bob", "cid"):
        lead(client, lead_id)
    # ann: visit, pricing, demo in order within 10 min -> ordered + unordered (demo after a
    # visit); then 3 visits in 60 s -> surge; two pricing-page visits and the demo -> pattern.
    send_events(client, "ann", [
        ("visit", 0, {"page": "pricing"}), ("pricing", 60), ("demo", 120),
        ("visit", 130, {"page": "pricing"}), ("visit", 140), ("visit", 150),
    ])  # fmt: skip
    # bob: demo before pricing: the ordered sequence never completes; unordered fires twice
    # (always): demo+visit, then visit+demo again.
    send_events(client, "bob", [("demo", 0), ("visit", 10), ("pricing", 20), ("visit", 700),
                                ("demo", 710)])  # fmt: skip
    # cid: the steps spread over more than the window: nothing.
    send_events(client, "cid", [("visit", 0), ("pricing", 400), ("demo", 800)])

    assert [f[0] for f in fired("sequence") if f] == ["ann", "ann", "bob", "bob"]
    by_trigger = dict.fromkeys((ordered.id, unordered.id, pattern.id, surge.id, milestone.id), 0)
    for trigger_id in Firing.objects.unscoped().values_list("trigger_id", flat=True):
        by_trigger[trigger_id] += 1
    # The milestone at 4 points: ann's 4th event, bob's 4th, cid never gets there.
    assert by_trigger == {
        ordered.id: 1, unordered.id: 3, pattern.id: 1, surge.id: 1, milestone.id: 2,
    }  # fmt: skip

    for trigger in (ordered, unordered, pattern, surge, milestone):
        simulated = simulate_trigger(trigger, lead=None, days=30)
        leads = sorted(
            set(
                Firing.objects.unscoped()
                .filter(trigger=trigger)
                .values_list("lead__lead_id", flat=True)
            )
        )
        assert simulated.matched_lead_ids == leads, trigger.kind
        assert simulated.total_matches == by_trigger[trigger.id]


def test_decide_events_never_fire_and_observed_ones_are_not_evaluated(client, ou, jo):
    from scoring.models import EventTypeSetting

    primary_ruleset(ou, {"demo": 60, "webinar": 60, "visit": 1})
    for event_type, scope in (("demo", "decide"), ("webinar", "observe")):
        EventTypeSetting.objects.create(
            org_id=ou.org_id, unit=ou, event_type=event_type, max_processing_scope=scope
        )
    make_trigger(ou, "milestone", score_threshold=50)
    make_trigger(ou, "surge", threshold_count=2, window_seconds=600)
    # visit 1; demo (decide) 61 crosses 50 and completes the burst of 2: neither fires; the
    # webinar (observe) is neither scored nor counted; the visit at 30 s is in the same burst.
    send_events(client, "jo", [("visit", 0), ("demo", 10), ("webinar", 20), ("visit", 30)])
    assert Firing.objects.unscoped().count() == 0
    send_events(client, "jo", [("visit", 700), ("visit", 710)])  # a new burst: fires
    assert fired("surge") == [("jo", "visit", Firing.objects.unscoped().get().event_seq)]


def test_email_templates_see_only_their_context(client, ou, jo):
    primary_ruleset(ou, {"demo": 60})
    make_trigger(
        ou, "milestone", score_threshold=50, emails=["a@acme.test"],
        email_subject="[{{ settings.SECRET_KEY }}{{ lead.lead_id }}{{ request }}]",
        email_message="{% debug %}{{ lead.metadata.missing }}|{{ trigger.kind }}",
    )  # fmt: skip
    send_events(client, "jo", [("demo", 0)])
    deliver_all()
    (message,) = mail.outbox
    assert message.subject == "[]"
    assert message.body == "|milestone"


@pytest.mark.parametrize(
    "source", ["{% load static %}", "{% include 'base.html' %}", "{% if %}", "{{ x|nope }}"]
)
def test_templates_that_reach_outside_their_context_are_refused(source):
    from triggers.services.templating import NotificationTemplateError, check_template

    with pytest.raises(NotificationTemplateError):
        check_template(source)


def test_a_url_that_resolves_inward_at_send_time_is_refused(client, ou, jo, settings):
    primary_ruleset(ou, {"demo": 60})
    make_trigger(ou, "milestone", score_threshold=50, webhook_url="http://localhost:9/hook")
    send_events(client, "jo", [("demo", 0)])
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    deliver_all()
    delivery = Delivery.objects.unscoped().get()
    assert delivery.status == "failed"
    assert "loopback" in delivery.last_error


def test_teams_targets_get_the_message_and_slack_latency_is_observed(
    client, ou, jo, webhook_receiver, fake_slack
):
    from leadvibe.metrics import EVENT_TO_SLACK_LATENCY

    primary_ruleset(ou, {"demo": 60})
    workspace = fake_slack.add_workspace()
    connect_slack(ou, workspace)
    user = workspace.users[0]["id"]
    make_trigger(
        ou, "milestone", name="Hot", score_threshold=50, teams_target_kind="channel",
        teams_target_id=webhook_receiver.url("/teams"), slack_target_kind="user",
        slack_target_id=user,
    )  # fmt: skip
    observed = EVENT_TO_SLACK_LATENCY._sum.get()
    send_events(client, "jo", [("demo", 0)])
    deliver_all()
    (request,) = webhook_receiver.wait_for(1)
    assert request.path == "/teams"
    assert "jo" in json.loads(request.body)["text"]
    (dm,) = fake_slack.messages
    assert workspace.dm_channels == {dm.channel: user}  # a DM opened with the user
    assert EVENT_TO_SLACK_LATENCY._sum.get() > observed


def test_a_surge_is_published_on_its_ous_live_channel(client, ou, jo, settings):
    import redis

    from leadvibe.live import live_channel

    primary_ruleset(ou, {"visit": 1})
    trigger = make_trigger(ou, "surge", threshold_count=2, window_seconds=60)
    pubsub = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    pubsub.subscribe(live_channel(ou.id))
    pubsub.get_message(timeout=1)  # the subscription's confirmation
    send_events(client, "jo", [("visit", 0), ("visit", 10)])
    messages = []
    while message := pubsub.get_message(timeout=1):
        messages.append(message["data"].decode())
    surges = [
        json.loads(block.partition("\ndata: ")[2])
        for text in messages
        for block in text.split("\n\n")
        if block.startswith("event: surge")
    ]
    firing = Firing.objects.unscoped().get()
    assert surges == [
        {
            "surge_id": firing.id, "trigger_id": trigger.public_id, "lead_id": "jo",
            "event_type": "visit", "channel": firing.channel, "count": 2,
            "occurred_at": firing.occurred_at.isoformat(),
        }
    ]  # fmt: skip


def test_decay_that_drops_a_lead_below_a_milestone_records_its_exit(client, ou, jo, settings):
    import redis

    from leadvibe.live import live_channel
    from scoring.services.decay_sweep import decay_sweep
    from tests.scoring.scoring_helpers import decay_rule
    from tests.triggers.trigger_helpers import NOW

    primary_ruleset(ou, {"demo": 60})
    decay_rule(ou, decrease=20, inactive_for=1, time_unit="days")
    milestone = make_trigger(ou, "milestone", score_threshold=50, fire_mode="always")
    low = make_trigger(ou, "milestone", score_threshold=10)
    send_events(client, "jo", [("demo", 0)])  # 60: fires both
    pubsub = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    pubsub.subscribe(live_channel(ou.id))
    pubsub.get_message(timeout=1)

    decay_sweep(now=NOW + datetime.timedelta(days=1, hours=1))  # one step: 60 -> 40

    exit_ = Firing.objects.unscoped().get(kind="milestone_exited")
    assert (exit_.trigger_id, exit_.score, exit_.event_type) == (milestone.id, 40, "DECAY")
    assert not Firing.objects.unscoped().filter(trigger=low, kind="milestone_exited").exists()
    message = pubsub.get_message(timeout=2)
    assert message is not None
    assert "event: milestone_exited" in message["data"].decode()
    # The exit is listed with the milestone events.
    response = client.get("/api/v1/triggers/milestones/events")
    assert sorted(item["type"] for item in response.json()) == [
        "milestone", "milestone", "milestone_exited",
    ]  # fmt: skip


def test_a_webhook_goes_to_the_address_that_was_checked(
    client, ou, jo, webhook_receiver, monkeypatch
):
    """DNS rebinding: the name answers a permitted address for the check, then an inward one;
    the post still goes to the checked address, naming the host in its Host header."""
    import socket

    real_getaddrinfo = socket.getaddrinfo
    port = int(webhook_receiver.url().split(":")[2].split("/")[0])
    answers = iter(["127.0.0.1"])

    def rebinding_dns(host, *args, **kwargs):
        if host != "hooks.example.test":
            return real_getaddrinfo(host, *args, **kwargs)
        address = next(answers, "10.255.255.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    primary_ruleset(ou, {"demo": 60})
    make_trigger(
        ou, "milestone", score_threshold=50, webhook_url=f"http://hooks.example.test:{port}/hook"
    )
    send_events(client, "jo", [("demo", 0)])
    deliver_all()
    (request,) = webhook_receiver.wait_for(1)
    assert request.headers["host"] == f"hooks.example.test:{port}"
    assert Delivery.objects.unscoped().get().status == "delivered"


def test_emails_of_a_batch_share_one_smtp_connection(client, ou, jo, smtp_server):
    primary_ruleset(ou, {"demo": 60})
    for threshold in (10, 20, 30):
        make_trigger(
            ou, "milestone", name=f"At {threshold}", score_threshold=threshold,
            emails=["a@acme.test", "b@acme.test"],
        )  # fmt: skip
    send_events(client, "jo", [("demo", 0)])
    deliver_all()
    assert set(Delivery.objects.unscoped().values_list("status", flat=True)) == {"delivered"}
    assert smtp_server.connections == 1
    assert len(smtp_server.messages) == 6
    assert (
        sorted(to for _, (to,), _ in smtp_server.messages)
        == ["a@acme.test"] * 3 + ["b@acme.test"] * 3
    )
    assert all(b"Subject: At " in data for _, _, data in smtp_server.messages)


def test_a_replay_over_events_older_than_the_trigger_leaves_it_unused(client, ou, jo):
    primary_ruleset(ou, {"demo": 30, "unsubscribe": -60})
    send_events(client, "jo", [("demo", 0), ("demo", 60)])  # 30, 68: crosses 50, no trigger
    trigger = make_trigger(ou, "milestone", score_threshold=50)
    send_events(client, "jo", [("unsubscribe", 120)])  # 0 (exited)
    # A late visit: the lead's history is replayed, the old crossing included; it happened
    # before the trigger existed, so the trigger's one firing is still to come.
    send_events(client, "jo", [("visit", 10)])
    send_events(client, "jo", [("demo", 180), ("demo", 240)])  # 45, then 90: crosses
    assert fired("milestone") == [
        ("jo", "demo", Firing.objects.unscoped().get(kind="milestone").event_seq)
    ]
    assert Firing.objects.unscoped().get(kind="milestone").score == 90
    assert Firing.objects.unscoped().filter(trigger=trigger).count() == 2  # the exit and the firing
