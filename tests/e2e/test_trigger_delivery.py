"""Triggers end to end: events ingested through the API, scored by a real Celery worker,
notifications sent by that worker to a webhook receiver on 127.0.0.1 (which verifies the
Standard Webhooks signature), to email (Django's file backend) and to the fake Slack."""

import time

import pytest
from standardwebhooks.webhooks import Webhook

from scoring.models import EngagementEvent
from scoring.services.leads import lead_create
from tests.e2e.processes import start_worker, stop_process, wait_until
from tests.triggers.trigger_helpers import at, connect_slack, make_trigger, primary_ruleset
from triggers.models import Delivery, Firing
from triggers.services.webhook_secret import reveal_webhook_secret

pytestmark = pytest.mark.django_db(transaction=True)


def ingest(client, lead_id: str, events: list) -> None:
    for event_type, seconds, *metadata in events:
        body = {"event_type": event_type, "lead_id": lead_id, "timestamp": at(seconds)}
        if metadata:
            body["metadata"] = metadata[0]
        response = client.post("/api/v1/events", body, format="json")
        assert response.status_code == 202, response.content


def test_a_real_worker_fires_and_delivers_every_kind_once(
    server_env, tmp_path, client, ou, webhook_receiver, fake_slack, settings
):
    mail_dir = tmp_path / "mail"
    env = {
        **server_env,
        # The worker decrypts the Slack token and the signing secret this process stored.
        "SECRETS_ENCRYPTION_KEYS": settings.SECRET_KEY,
        "OUTBOUND_ALLOWED_NETWORKS": "loopback",
        "SLACK_API_BASE_URL": fake_slack.base_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "WORKER_SWEEP_SECONDS": "1",
    }
    primary_ruleset(ou, {"demo": 30, "visit": 5, "pricing": 5, "unsubscribe": -50})
    workspace = fake_slack.add_workspace()
    connect_slack(ou, workspace)
    channel = next(c["id"] for c in workspace.channels if c["is_member"])
    hook = webhook_receiver.url
    milestone = make_trigger(
        ou, "milestone", name="Hot", score_threshold=50, webhook_url=hook("/milestone"),
        emails=["sales@acme.test"], slack_target_kind="channel", slack_target_id=channel,
        email_subject="{{ trigger.name }}: {{ lead.id }}",
    )  # fmt: skip
    make_trigger(
        ou, "milestone", score_threshold=40, fire_mode="always", cooldown_seconds=3600,
        webhook_url=hook("/always"),
    )  # fmt: skip
    make_trigger(
        ou, "sequence", event_steps=["visit", "pricing", "demo"], window_seconds=600,
        webhook_url=hook("/ordered"),
    )  # fmt: skip
    make_trigger(
        ou, "sequence", event_steps=["demo", "pricing"], ordered=False, window_seconds=600,
        webhook_url=hook("/unordered"),
    )  # fmt: skip
    make_trigger(
        ou, "pattern", window_seconds=600, webhook_url=hook("/pattern"),
        conditions=[{"event_type": "visit", "min_count": 2}],
    )  # fmt: skip
    make_trigger(
        ou, "surge", event_type="visit", threshold_count=3, window_seconds=120,
        webhook_url=hook("/surge"),
    )  # fmt: skip
    secret = reveal_webhook_secret(ou)["secret"]
    lead_create(ou=ou, lead_id="jo", metadata={})

    worker = start_worker(env=env, log_dir=tmp_path)
    try:
        # Standard surge (3rd and 4th event of a session x1.25, 5th to 9th x1.5):
        # visit 5, pricing 5 -> 10, demo 38 -> 48 (both sequences complete), visit 6 -> 54
        # (crosses 40 and 50; 2 visits: pattern), visit 8 -> 62 (3 visits in 120 s: surge).
        ingest(client, "jo", [("visit", 0), ("pricing", 10), ("demo", 20), ("visit", 30),
                              ("visit", 40)])  # fmt: skip
        assert wait_until(
            lambda: Delivery.objects.unscoped().filter(status="delivered").count() == 8,
            timeout=60,
            every=0.05,
        )
        # unsubscribe -75 -> 0 (exits both milestones), demo 45 (crosses 40 within the 1 h
        # cooldown), demo 45 -> 90 (crosses 50, which fires once).
        ingest(client, "jo", [("unsubscribe", 300), ("demo", 310), ("demo", 320)])
        assert wait_until(
            lambda: Firing.objects.unscoped().filter(kind="milestone_exited").count() == 2,
            timeout=60,
            every=0.05,
        )
        # A late event: the worker replays the lead's whole history (the crossings move to
        # the demo at 20 s); no event fires twice, nothing new is sent.
        ingest(client, "jo", [("pricing", 5)])
        assert wait_until(
            lambda: not EngagementEvent.objects.unscoped().filter(status="pending").exists(),
            timeout=60,
            every=0.05,
        )
        time.sleep(2)  # what a wrongly fired delivery would take to arrive
    finally:
        stop_process(worker)

    paths = sorted(request.path for request in webhook_receiver.requests)
    assert paths == ["/always", "/milestone", "/ordered", "/pattern", "/surge", "/unordered"]
    for request in webhook_receiver.requests:
        Webhook(secret).verify(request.body, request.headers)
    (mail_file,) = mail_dir.iterdir()
    assert mail_file.read_text().count("Subject: Hot: jo") == 1
    assert len(fake_slack.messages_to(channel)) == 1
    assert set(Delivery.objects.unscoped().values_list("status", flat=True)) == {"delivered"}
    assert Firing.objects.unscoped().filter(trigger=milestone, kind="milestone").count() == 1
