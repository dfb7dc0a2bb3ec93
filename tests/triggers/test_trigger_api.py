"""The trigger configuration routes (milestones, sequences, patterns, surge triggers), their
validation, the SSRF guard on URLs, roles and the configuration version they bump; what
triggers fired (emitted events, exports, deliveries, surge events, surge metrics) and
simulations, as an API client meets them."""

import csv
import datetime
import io

import pytest

from scoring.fit.selectors import PROFILE
from scoring.fit.services.config import fit_ruleset_create
from scoring.ingestion.services.events import EventInput, event_ingest
from scoring.models import ScoringConfigVersion
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from scoring.services.rulesets import rule_create, ruleset_create
from tests.api_clients import member_client_for
from tests.factories import make_unit
from tests.triggers.factories import make_delivery, make_firing
from triggers.models import Trigger, WebhookSecret
from triggers.services.trigger_config import trigger_create
from triggers.services.webhook_secret import signing_secrets

pytestmark = pytest.mark.django_db

API = "/api/v1"
HOOK = "http://127.0.0.1:9/hook"  # loopback: allowed by the test settings
ROUTES = {
    "milestone": "/triggers/milestones",
    "sequence": "/triggers/sequences",
    "pattern": "/triggers/patterns",
    "surge": "/surge/triggers",
}
MINIMAL = {
    "milestone": {"score_threshold": 50},
    "sequence": {"event_types": ["visit", "demo"], "window_seconds": 3600},
    "pattern": {"window_seconds": 600, "conditions": [{"event_type": "visit", "min_count": 3}]},
    "surge": {"window_seconds": 60, "threshold_count": 5, "webhook_url": HOOK},
}
T0 = datetime.datetime(2025, 8, 15, 12, 0, tzinfo=datetime.UTC)


def call(client, method, path, body=None, status=200):
    response = getattr(client, method)(f"{API}{path}", body, format="json")
    assert response.status_code == status, response.content
    return response


def created(client, kind, body) -> dict:
    return call(client, "post", ROUTES[kind], body, status=201).json()


def refused(client, method, path, body=None, status=400) -> dict:
    body = call(client, method, path, body, status=status).json()
    assert body["status"] == status
    return body


def version_of(ou) -> int:
    row = ScoringConfigVersion.objects.for_ou(ou).first()
    return row.version if row else 0


# --- Configuration: each kind ---------------------------------------------------------------


def test_milestone_crud(client, ou):
    milestone = created(client, "milestone", {"score_threshold": 50, "emails": ["a@x.io"]})
    assert milestone["trigger_id"].startswith("tr_")
    assert milestone["event_type"] is None  # any type
    assert (milestone["fire_mode"], milestone["cooldown_seconds"]) == ("once", 0)
    assert (milestone["org_id"], milestone["unit_id"]) == (ou.org_id, ou.id)
    assert (milestone["created_by"], milestone["updated_by"]) == (None, None)  # credentials
    assert (milestone["active"], milestone["webhook_url"], milestone["name"]) == (True, "", "")
    assert call(client, "get", ROUTES["milestone"]).json() == [milestone]

    path = f"{ROUTES['milestone']}/{milestone['trigger_id']}"
    changed = call(
        client, "put", path, {"fire_mode": "always", "cooldown_seconds": 60, "event_type": "demo"}
    ).json()
    assert (changed["fire_mode"], changed["cooldown_seconds"]) == ("always", 60)
    assert (changed["event_type"], changed["score_threshold"]) == ("demo", 50)
    assert changed["emails"] == ["a@x.io"]  # left out: kept
    assert call(client, "put", path, {"event_type": None}).json()["event_type"] is None

    call(client, "delete", path, status=204)
    assert call(client, "get", ROUTES["milestone"]).json() == []
    refused(client, "delete", path, status=404)


def test_members_are_recorded_as_creator_and_updater(ou):
    first, second = member_client_for(ou), member_client_for(ou)
    milestone = created(first, "milestone", {"score_threshold": 5, "name": "Hot"})
    assert milestone["created_by"] == milestone["updated_by"] == first.member.id
    path = f"{ROUTES['milestone']}/{milestone['trigger_id']}"
    changed = call(second, "put", path, {"name": "Hotter"}).json()
    assert (changed["created_by"], changed["updated_by"]) == (first.member.id, second.member.id)


def test_sequence_crud(client, ou):
    profile = fit_ruleset_create(ou=ou, member=None, kind=PROFILE, name="Fit")
    sequence = created(
        client,
        "sequence",
        {
            "event_types": ["visit", "pricing", "visit"],
            "window_seconds": 7 * 86400,
            "window_unit": "days",
            "ordered": False,
            "fire_mode": "always",
            "lead_attribute_filters": [
                {"key": "country", "operator": "in", "value": ["FR", "DE"]},
                {"field": "plan.tier", "operator": "exists", "value": "ignored"},
            ],
            "profile_filters": [
                {"field": "score", "operator": "greater_than", "value": 10},
                {"field": profile.public_id, "operator": "less_than", "value": 90},
            ],
            "hubspot_sync": True,
            "slack_target_kind": "channel",
            "slack_target_id": "C123",
        },
    )
    assert sequence["event_steps"] == ["visit", "pricing", "visit"]
    assert (sequence["window_seconds"], sequence["window_unit"]) == (604800, "days")
    assert (sequence["ordered"], sequence["fire_mode"], sequence["hubspot_sync"]) == (
        False,
        "always",
        True,
    )
    assert sequence["lead_attribute_filters"] == [
        {"field": "country", "operator": "in", "value": ["FR", "DE"]},
        {"field": "plan.tier", "operator": "exists", "value": None},
    ]
    assert sequence["profile_filters"][1]["field"] == profile.public_id
    assert (sequence["slack_target_kind"], sequence["slack_target_id"]) == ("channel", "C123")

    path = f"{ROUTES['sequence']}/{sequence['trigger_id']}"
    changed = call(client, "put", path, {"event_types": ["demo"], "ordered": True}).json()
    assert (changed["event_steps"], changed["ordered"], changed["window_unit"]) == (
        ["demo"],
        True,
        "days",
    )
    defaults = created(client, "sequence", MINIMAL["sequence"])
    assert (defaults["window_unit"], defaults["ordered"], defaults["fire_mode"]) == (
        "seconds",
        True,
        "once",
    )
    call(client, "delete", path, status=204)
    assert [t["trigger_id"] for t in call(client, "get", ROUTES["sequence"]).json()] == [
        defaults["trigger_id"]
    ]


def test_pattern_crud(client):
    pattern = created(
        client,
        "pattern",
        {
            "name": "Pricing binge",
            "description": "Three pricing views and a demo",
            "window_seconds": 3600,
            "window_unit": "hours",
            "conditions": [
                {"event_type": "page_view", "min_count": 3, "metadata": {"page": "pricing"}},
                {"event_type": "demo", "min_count": 1},
            ],
            "webhook_url": HOOK,
        },
    )
    assert pattern["conditions"] == [
        {"event_type": "page_view", "min_count": 3, "metadata": {"page": "pricing"}},
        {"event_type": "demo", "min_count": 1, "metadata": {}},
    ]
    assert (pattern["name"], pattern["webhook_url"]) == ("Pricing binge", HOOK)
    path = f"{ROUTES['pattern']}/{pattern['trigger_id']}"
    changed = call(client, "put", path, {"active": False, "webhook_url": None}).json()
    assert (changed["active"], changed["webhook_url"], changed["window_seconds"]) == (
        False,
        "",
        3600,
    )
    call(client, "delete", path, status=204)


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("pattern", {"conditions": [{"event_type": "demo"}]}, "conditions"),
        ("pattern", {"conditions": [{}]}, "conditions"),
        ("sequence", {"profile_filters": [{"field": "profile_score"}]}, "profile_filters"),
        (
            "sequence",
            {"lead_attribute_filters": [{"operator": "exists"}]},
            "lead_attribute_filters",
        ),
    ],
)
def test_an_update_refuses_nested_objects_missing_their_required_fields(client, kind, body, field):
    trigger = created(client, kind, MINIMAL[kind])
    path = f"{ROUTES[kind]}/{trigger['trigger_id']}"
    assert field in refused(client, "put", path, body)["details"]


def test_surge_trigger_has_exactly_one_of_webhook_and_emails(client):
    surge = created(client, "surge", {**MINIMAL["surge"], "event_type": "visit"})
    assert (surge["event_type"], surge["threshold_count"], surge["window_unit"]) == (
        "visit",
        5,
        "seconds",
    )
    path = f"{ROUTES['surge']}/{surge['trigger_id']}"
    body = refused(client, "put", path, {"emails": ["ops@x.io"]})
    assert "webhook_url" in body["details"]
    moved = call(client, "put", path, {"emails": ["ops@x.io"], "webhook_url": ""}).json()
    assert (moved["emails"], moved["webhook_url"]) == (["ops@x.io"], "")
    # Slack and Teams targets come in addition to the one destination.
    with_slack = call(
        client, "put", path, {"slack_target_kind": "user", "slack_target_id": "U1"}
    ).json()
    assert with_slack["slack_target_id"] == "U1"

    no_destination = {"window_seconds": 60, "threshold_count": 5}
    assert "webhook_url" in refused(client, "post", ROUTES["surge"], no_destination)["details"]
    both = {**MINIMAL["surge"], "emails": ["ops@x.io"]}
    assert "webhook_url" in refused(client, "post", ROUTES["surge"], both)["details"]


def test_emails_are_kept_once_each(client):
    emails = ["a@x.io", "b@x.io", "a@x.io"]
    assert created(client, "milestone", {"score_threshold": 1, "emails": emails})["emails"] == [
        "a@x.io",
        "b@x.io",
    ]


def test_saving_the_webhook_again_resumes_a_disabled_one(client):
    milestone = created(client, "milestone", {"score_threshold": 1, "webhook_url": HOOK})
    Trigger.objects.unscoped().filter(pk=milestone["trigger_id"][3:]).update(webhook_disabled_at=T0)
    path = f"{ROUTES['milestone']}/{milestone['trigger_id']}"
    assert call(client, "put", path, {"name": "x"}).json()["webhook_disabled_at"] is not None
    assert call(client, "put", path, {"webhook_url": HOOK}).json()["webhook_disabled_at"] is None


# --- Validation -----------------------------------------------------------------------------

INVALID = [
    ("milestone", {}, "score_threshold"),
    ("milestone", {"score_threshold": 1.5}, "score_threshold"),
    ("milestone", {"score_threshold": "high"}, "score_threshold"),
    ("milestone", {"score_threshold": 1, "fire_mode": "twice"}, "fire_mode"),
    ("milestone", {"score_threshold": 1, "cooldown_seconds": -1}, "cooldown_seconds"),
    ("milestone", {"score_threshold": 1, "event_type": "x" * 101}, "event_type"),
    ("sequence", {"window_seconds": 60}, "event_types"),
    ("sequence", {"event_types": [], "window_seconds": 60}, "event_types"),
    ("sequence", {"event_types": [""], "window_seconds": 60}, "event_types"),
    ("sequence", {"event_types": ["a"] * 21, "window_seconds": 60}, "event_types"),
    ("sequence", {"event_types": ["a"]}, "window_seconds"),
    ("sequence", {"event_types": ["a"], "window_seconds": 0}, "window_seconds"),
    ("sequence", {"event_types": ["a"], "window_seconds": 90 * 86400 + 1}, "window_seconds"),
    ("sequence", {**MINIMAL["sequence"], "window_unit": "weeks"}, "window_unit"),
    (
        "sequence",
        {**MINIMAL["sequence"], "lead_attribute_filters": [{"operator": "exists"}]},
        "lead_attribute_filters",
    ),
    (
        "sequence",
        {
            **MINIMAL["sequence"],
            "lead_attribute_filters": [{"field": "plan", "operator": "equals"}],
        },
        "lead_attribute_filters",
    ),
    (
        "sequence",
        {
            **MINIMAL["sequence"],
            "lead_attribute_filters": [{"field": "plan", "operator": "like", "value": "x"}],
        },
        "lead_attribute_filters",
    ),
    (
        "sequence",
        {
            **MINIMAL["sequence"],
            "profile_filters": [{"field": "fit", "operator": "exists"}],
        },
        "profile_filters",
    ),
    (
        "sequence",
        {
            **MINIMAL["sequence"],
            "profile_filters": [{"field": "prs_999999", "operator": "exists"}],
        },
        "profile_filters",
    ),
    ("pattern", {"window_seconds": 60}, "conditions"),
    ("pattern", {"window_seconds": 60, "conditions": []}, "conditions"),
    ("pattern", {"conditions": [{"event_type": "a", "min_count": 1}]}, "window_seconds"),
    (
        "pattern",
        {"window_seconds": 60, "conditions": [{"event_type": "a", "min_count": 0}]},
        "conditions",
    ),
    ("pattern", {"window_seconds": 60, "conditions": [{"min_count": 1}]}, "conditions"),
    (
        "pattern",
        {
            "window_seconds": 60,
            "conditions": [{"event_type": "a", "min_count": 1, "metadata": {"k": {"n": 1}}}],
        },
        "conditions",
    ),
    (
        "pattern",
        {
            "window_seconds": 60,
            "conditions": [{"event_type": "a", "min_count": 1, "metadata": ["k"]}],
        },
        "conditions",
    ),
    ("surge", {"window_seconds": 60, "webhook_url": HOOK}, "threshold_count"),
    ("surge", {"threshold_count": 0, "window_seconds": 60, "webhook_url": HOOK}, "threshold_count"),
    ("surge", {"threshold_count": 1, "webhook_url": HOOK}, "window_seconds"),
    ("surge", {**MINIMAL["surge"], "window_unit": "weeks"}, "window_unit"),
]
DESTINATION_INVALID = [
    ({"webhook_url": "ftp://127.0.0.1/x"}, "webhook_url"),
    ({"webhook_url": "not a url"}, "webhook_url"),
    ({"emails": ["not-an-email"]}, "emails"),
    ({"emails": [f"a{n}@x.io" for n in range(51)]}, "emails"),
    ({"slack_target_kind": "channel"}, "slack_target_id"),
    ({"slack_target_id": "C1"}, "slack_target_id"),
    ({"slack_target_kind": "group", "slack_target_id": "C1"}, "slack_target_kind"),
    ({"teams_target_kind": "channel"}, "teams_target_id"),
    ({"teams_target_kind": "channel", "teams_target_id": "teams"}, "teams_target_id"),
    ({"teams_target_kind": "user", "teams_target_id": HOOK}, "teams_target_kind"),
    ({"email_subject": "{% if %}"}, "email_subject"),
    ({"email_message": "{{ lead.id|nosuchfilter }}"}, "email_message"),
    ({"email_preheader": "{% load i18n %}"}, "email_preheader"),
    ({"name": "x" * 201}, "name"),
]


@pytest.mark.parametrize(("kind", "body", "field"), INVALID)
def test_invalid_triggers_are_400_with_details(client, ou, kind, body, field):
    before = version_of(ou)
    assert field in refused(client, "post", ROUTES[kind], body)["details"]
    assert version_of(ou) == before
    assert call(client, "get", ROUTES[kind]).json() == []


@pytest.mark.parametrize("kind", ROUTES)
@pytest.mark.parametrize(("destination", "field"), DESTINATION_INVALID)
def test_invalid_destinations_are_400_on_create_and_update(client, kind, destination, field):
    assert (
        field in refused(client, "post", ROUTES[kind], {**MINIMAL[kind], **destination})["details"]
    )
    trigger = created(client, kind, MINIMAL[kind])
    path = f"{ROUTES[kind]}/{trigger['trigger_id']}"
    assert field in refused(client, "put", path, destination)["details"]


def test_templates_that_compile_are_kept(client):
    body = {
        "score_threshold": 1,
        "emails": ["a@x.io"],
        "email_subject": "{{ lead.id }} is hot",
        "email_preheader": "Score {{ score }}",
        "email_message": "{% if score > 10 %}Call {{ lead.metadata.name }}{% endif %}",
    }
    milestone = created(client, "milestone", body)
    assert {key: milestone[key] for key in body} == body


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://localhost:8000/hook",
        "https://127.0.0.1/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
    ],
)
@pytest.mark.parametrize("field", ["webhook_url", "teams_target_id"])
def test_urls_to_private_addresses_are_refused(client, settings, url, field):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    destination = {field: url}
    if field == "teams_target_id":
        destination["teams_target_kind"] = "channel"
    body = refused(client, "post", ROUTES["milestone"], {"score_threshold": 1, **destination})
    (message,) = body["details"][field]
    assert "address" in message

    milestone = created(client, "milestone", {"score_threshold": 1})
    path = f"{ROUTES['milestone']}/{milestone['trigger_id']}"
    assert field in refused(client, "put", path, destination)["details"]


# Special-purpose forms (IANA registries); IPv6 forms that carry 127.0.0.1 are refused even
# though the test settings allow loopback: only a plainly written loopback address passes.
SPECIAL_PURPOSE_HOSTS = [
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::127.0.0.1]",  # IPv4-compatible
    "[fc00::1]",  # unique-local
    "[fe80::1]",  # link-local
    "[ff02::1]",  # multicast
    "[2001:db8::1]",  # documentation
    "198.18.0.1",  # benchmarking
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0",  # noqa: S104 - this network
]


@pytest.mark.parametrize("host", SPECIAL_PURPOSE_HOSTS)
def test_special_purpose_addresses_are_refused_on_every_url_field(client, host):
    url = f"http://{host}/hook"
    for kind in ROUTES:
        for destination in (
            {"webhook_url": url},
            {"teams_target_kind": "channel", "teams_target_id": url},
        ):
            field = "teams_target_id" if "teams_target_id" in destination else "webhook_url"
            body = refused(client, "post", ROUTES[kind], {**MINIMAL[kind], **destination})
            (message,) = body["details"][field]
            assert "address" in message, (kind, field, message)
    assert Trigger.objects.unscoped().count() == 0


def test_nat64_addresses_are_judged_by_the_ipv4_address_they_carry(client):
    public = created(
        client, "milestone", {"score_threshold": 1, "webhook_url": "http://[64:ff9b::808:808]/"}
    )
    assert public["webhook_url"] == "http://[64:ff9b::808:808]/"
    body = {"score_threshold": 1, "webhook_url": "http://[64:ff9b::a00:1]/"}
    (message,) = refused(client, "post", ROUTES["milestone"], body)["details"]["webhook_url"]
    assert "private address 10.0.0.1" in message


def test_loopback_urls_pass_where_the_settings_allow_them(client):
    body = {"score_threshold": 1, "teams_target_kind": "channel", "teams_target_id": HOOK}
    milestone = created(client, "milestone", {**body, "webhook_url": HOOK})
    assert (milestone["webhook_url"], milestone["teams_target_id"]) == (HOOK, HOOK)


# --- Ids, kinds and tenancy -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ROUTES)
def test_a_trigger_is_not_found_through_another_kinds_routes(client, kind):
    trigger = created(client, kind, MINIMAL[kind])
    for other in ROUTES:
        if other == kind:
            continue
        path = f"{ROUTES[other]}/{trigger['trigger_id']}"
        refused(client, "put", path, {"name": "x"}, status=404)
        refused(client, "delete", path, status=404)
        if other != "pattern":
            refused(client, "post", f"{path}/simulate", {}, status=404)
        assert call(client, "get", ROUTES[other]).json() == []
    assert len(call(client, "get", ROUTES[kind]).json()) == 1


@pytest.mark.parametrize("trigger_id", ["tr_999999", "tr_x", "nope", "rs_1", "tr_" + "9" * 30])
def test_unknown_trigger_ids_are_404(client, trigger_id):
    refused(client, "put", f"{ROUTES['milestone']}/{trigger_id}", {"name": "x"}, status=404)
    refused(client, "delete", f"{ROUTES['surge']}/{trigger_id}", status=404)


def test_another_ous_triggers_are_not_found_nor_listed(client, ou):
    other = make_unit(ou.org)
    theirs = trigger_create(ou=other, member=None, kind=Trigger.Kind.MILESTONE, score_threshold=1)
    path = f"{ROUTES['milestone']}/{theirs.public_id}"
    refused(client, "put", path, {"score_threshold": 2}, status=404)
    refused(client, "delete", path, status=404)
    refused(client, "post", f"{path}/simulate", {}, status=404)
    assert call(client, "get", ROUTES["milestone"]).json() == []
    theirs.refresh_from_db()
    assert theirs.score_threshold == 1


# --- Configuration version and roles -------------------------------------------------------


@pytest.mark.parametrize("kind", ROUTES)
def test_every_trigger_write_bumps_the_configuration_version(client, ou, kind):
    start = version_of(ou)
    trigger = created(client, kind, MINIMAL[kind])
    assert version_of(ou) == start + 1
    path = f"{ROUTES[kind]}/{trigger['trigger_id']}"
    call(client, "put", path, {"active": False})
    assert version_of(ou) == start + 2
    refused(client, "put", path, {"slack_target_kind": "channel"})  # rolled back
    refused(client, "put", f"{ROUTES[kind]}/tr_999999", {"active": True}, status=404)
    assert version_of(ou) == start + 2
    call(client, "delete", path, status=204)
    assert version_of(ou) == start + 3


def test_viewers_read_and_operators_write(ou):
    viewer, operator = member_client_for(ou, role="Viewer"), member_client_for(ou, role="Operator")
    milestone = created(operator, "milestone", {"score_threshold": 1})
    path = f"{ROUTES['milestone']}/{milestone['trigger_id']}"
    for route in (*ROUTES.values(), "/triggers/milestones/events", "/triggers/deliveries"):
        call(viewer, "get", route)
    call(viewer, "get", "/triggers/milestones/events/export")
    call(viewer, "get", "/surge/events")
    refused(viewer, "post", ROUTES["milestone"], {"score_threshold": 1}, status=403)
    refused(viewer, "put", path, {"score_threshold": 2}, status=403)
    refused(viewer, "delete", path, status=403)
    refused(viewer, "post", f"{path}/simulate", {}, status=403)
    call(operator, "delete", path, status=204)


# --- Simulation -----------------------------------------------------------------------------


def test_simulating_a_milestone_over_scored_events(client, ou):
    ruleset_create(ou=ou, member=None, name="main")
    rule_create(ou=ou, member=None, event_type="demo", weight=30)
    for lead_id in ("ann", "bob"):
        lead_create(ou=ou, lead_id=lead_id, metadata={})
    for lead_id, count in (("ann", 2), ("bob", 1)):
        for _ in range(count):
            event_ingest(ou=ou, event=EventInput(event_type="demo", lead_id=lead_id))
    process_pending_events()
    milestone = created(client, "milestone", {"score_threshold": 50})
    path = f"{ROUTES['milestone']}/{milestone['trigger_id']}/simulate"

    everyone = call(client, "post", path, {}).json()
    assert set(everyone) == {"would_fire", "matched_leads", "total_matches", "message"}
    assert (everyone["would_fire"], everyone["matched_leads"], everyone["total_matches"]) == (
        True,
        ["ann"],
        1,
    )
    bob = call(client, "post", path, {"lead_id": "bob", "days": 7}).json()
    assert (bob["would_fire"], bob["matched_leads"], bob["total_matches"]) == (False, [], 0)
    refused(client, "post", path, {"lead_id": "nobody"}, status=404)


@pytest.mark.parametrize("body", [{"days": 0}, {"days": 366}, {"days": "many"}])
def test_simulation_days_are_1_to_365(client, body):
    surge = created(client, "surge", MINIMAL["surge"])
    path = f"{ROUTES['surge']}/{surge['trigger_id']}/simulate"
    assert "days" in refused(client, "post", path, body)["details"]


# --- Emitted events, exports and deliveries --------------------------------------------------


@pytest.fixture
def fired(ou):
    """Two milestone triggers, a sequence and a surge trigger of the OU that fired for two
    leads (oldest first below), with deliveries; and a firing of another OU."""
    ann, bob = (
        lead_create(ou=ou, lead_id="ann", metadata={}),
        lead_create(ou=ou, lead_id="bob", metadata={}),
    )
    hot = trigger_create(
        ou=ou, member=None, kind=Trigger.Kind.MILESTONE, score_threshold=50, name="Hot"
    )
    warm = trigger_create(
        ou=ou, member=None, kind=Trigger.Kind.MILESTONE, score_threshold=20, name="Warm"
    )
    sequence = trigger_create(
        ou=ou, member=None, kind=Trigger.Kind.SEQUENCE, event_steps=["a"], window_seconds=60
    )
    minute = datetime.timedelta(minutes=1)
    firings = {
        "hot_ann": make_firing(hot, ann, occurred_at=T0, score=55, event_type="demo"),
        "warm_bob": make_firing(warm, bob, occurred_at=T0 + minute, score=21, channel="email"),
        "hot_ann_exit": make_firing(
            hot, ann, kind="milestone_exited", occurred_at=T0 + 2 * minute, score=40
        ),
        "sequence_bob": make_firing(sequence, bob, occurred_at=T0 + 3 * minute),
    }
    make_delivery(firings["hot_ann"], status="delivered", attempts=1, last_status_code=200)
    make_delivery(
        firings["hot_ann"],
        channel="email",
        target="a@x.io",
        status="failed",
        attempts=8,
        last_error="550 mailbox unavailable",
    )
    make_delivery(firings["warm_bob"], channel="slack", target="C1", target_kind="channel")
    make_delivery(firings["sequence_bob"])

    other = make_unit(ou.org)
    theirs = trigger_create(ou=other, member=None, kind=Trigger.Kind.MILESTONE, score_threshold=1)
    make_firing(theirs, lead_create(ou=other, lead_id="ann", metadata={}), occurred_at=T0)
    return {"hot": hot, "warm": warm, "sequence": sequence, "ann": ann, "bob": bob, **firings}


def listed(client, path, query=None):
    response = client.get(f"{API}{path}", query or {})
    assert response.status_code == 200, response.content
    return response.json(), int(response["X-Total-Count"])


def hot_ann_firing(fired) -> dict:
    """What the list and the export both say of the first firing: Hot, reached by ann's demo."""
    return {
        "id": f"fi_{fired['hot_ann'].pk}",
        "trigger_id": fired["hot"].public_id,
        "trigger_name": "Hot",
        "type": "milestone",
        "lead_id": "ann",
        "event_id": f"ev_{fired['hot_ann'].event_seq}",
        "event_type": "demo",
        "channel": "web",
        "occurred_at": "2025-08-15T12:00:00Z",
    }


def test_milestone_events_list_milestones_and_exits_newest_first(client, fired):
    items, total = listed(client, "/triggers/milestones/events")
    assert total == 3
    assert [item["id"] for item in items] == [
        f"fi_{fired[name].pk}" for name in ("hot_ann_exit", "warm_bob", "hot_ann")
    ]
    assert [item["type"] for item in items] == ["milestone_exited", "milestone", "milestone"]
    first_firing = items[-1]
    assert first_firing == {
        **hot_ann_firing(fired),
        "score": 55,
        "created_at": first_firing["created_at"],
        "deliveries": {"pending": 0, "delivered": 1, "failed": 1, "disabled": 0},
    }
    assert items[1]["deliveries"] == {"pending": 1, "delivered": 0, "failed": 0, "disabled": 0}

    sequences, total = listed(client, "/triggers/sequences/events")
    assert total == 1
    assert [(s["id"], s["type"], s["lead_id"]) for s in sequences] == [
        (f"fi_{fired['sequence_bob'].pk}", "sequence", "bob")
    ]


def test_emitted_event_filters_and_pages(client, fired):
    def ids(query, path="/triggers/milestones/events"):
        items, total = listed(client, path, query)
        assert total >= len(items)
        return [item["id"] for item in items]

    hot_ann, warm_bob, exit_ = (
        f"fi_{fired[name].pk}" for name in ("hot_ann", "warm_bob", "hot_ann_exit")
    )
    assert ids({"lead_id": "ann"}) == [exit_, hot_ann]
    assert ids({"lead_id": "nobody"}) == []
    assert ids({"trigger_id": fired["warm"].public_id}) == [warm_bob]
    assert ids({"trigger_id": fired["sequence"].public_id}) == []
    assert ids({"trigger_id": "tr_999999"}) == []
    assert ids({"start": "2025-08-15T12:01:00Z"}) == [exit_, warm_bob]
    assert ids({"end": "2025-08-15T12:01:00Z"}) == [hot_ann]
    assert ids({"start": "2025-08-15T14:00:30+02:00", "end": "2025-08-15T12:02:00Z"}) == [warm_bob]
    assert ids({"limit": 2, "page": 2}) == [hot_ann]
    assert listed(client, "/triggers/milestones/events", {"limit": 1})[1] == 3


BAD_FIRING_FILTERS = [
    {"trigger_id": "rs_1"},
    {"trigger_id": "tr_"},
    {"start": "yesterday"},
    {"start": "2025-08-15T12:00:00"},
    {"start": "2025-08-15T12:00:00Z", "end": "2025-08-15T12:00:00Z"},
]


@pytest.mark.parametrize("query", [*BAD_FIRING_FILTERS, {"limit": 501}, {"page": 0}])
def test_bad_emitted_event_filters_are_400(client, query):
    response = client.get(f"{API}/triggers/milestones/events", query)
    assert response.status_code == 400, response.content
    assert set(response.json()["details"]) <= {*query, "end"}


@pytest.mark.parametrize("query", BAD_FIRING_FILTERS)
def test_bad_export_filters_are_json_400(client, query):
    response = client.get(f"{API}/triggers/sequences/events/export", query)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"


def export_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="milestone-events-')
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_milestone_events_export_matches_the_list(client, fired):
    rows = export_rows(client.get(f"{API}/triggers/milestones/events/export"))
    items, _ = listed(client, "/triggers/milestones/events")
    assert [row["id"] for row in rows] == [item["id"] for item in items]
    first = rows[-1]
    assert first == {
        **hot_ann_firing(fired),
        "score": "55",
        "created_at": items[-1]["created_at"],
        "deliveries_pending": "0",
        "deliveries_delivered": "1",
        "deliveries_failed": "1",
        "deliveries_disabled": "0",
    }
    filtered = export_rows(
        client.get(f"{API}/triggers/milestones/events/export", {"lead_id": "bob"})
    )
    assert [row["id"] for row in filtered] == [f"fi_{fired['warm_bob'].pk}"]


def test_sequence_events_export(client, fired):
    response = client.get(f"{API}/triggers/sequences/events/export")
    assert response["Content-Disposition"].startswith('attachment; filename="sequence-events-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["id"], row["type"], row["score"]) for row in rows] == [
        (f"fi_{fired['sequence_bob'].pk}", "sequence", "")
    ]


def test_deliveries_list_with_filters(client, fired):
    items, total = listed(client, "/triggers/deliveries")
    assert total == 4
    assert [item["channel"] for item in items] == ["webhook", "slack", "email", "webhook"]
    failed = items[2]
    assert failed == {
        "id": failed["id"],
        "firing_id": f"fi_{fired['hot_ann'].pk}",
        "trigger_id": fired["hot"].public_id,
        "lead_id": "ann",
        "channel": "email",
        "target": "a@x.io",
        "status": "failed",
        "attempts": 8,
        "last_error": "550 mailbox unavailable",
        "last_status_code": None,
        "next_attempt_at": None,
        "delivered_at": None,
        "created_at": failed["created_at"],
    }
    assert failed["id"].startswith("dl_")

    def channels(query):
        return [item["channel"] for item in listed(client, "/triggers/deliveries", query)[0]]

    assert channels({"status": "pending"}) == ["webhook", "slack"]
    assert channels({"channel": "webhook"}) == ["webhook", "webhook"]
    assert channels({"trigger_id": fired["hot"].public_id}) == ["email", "webhook"]
    assert channels({"trigger_id": fired["hot"].public_id, "status": "delivered"}) == ["webhook"]
    assert channels({"limit": 1, "page": 2}) == ["slack"]
    for query in ({"status": "lost"}, {"channel": "sms"}, {"trigger_id": "x"}):
        assert client.get(f"{API}/triggers/deliveries", query).status_code == 400


# --- Surge events and metrics ---------------------------------------------------------------


def surge_trigger(ou, *, window_seconds: int, threshold_count: int, **delivery) -> Trigger:
    return trigger_create(
        ou=ou,
        member=None,
        kind=Trigger.Kind.SURGE,
        window_seconds=window_seconds,
        threshold_count=threshold_count,
        **delivery,
    )


@pytest.fixture
def surges(ou):
    """Surges of two triggers (events at minutes from T0, by channel and lead):
    web ann 0, web bob 5, email ann 20, web ann 70, web carl 75, web ann 80, email bob 185."""
    leads = {name: lead_create(ou=ou, lead_id=name, metadata={}) for name in ("ann", "bob", "carl")}
    visits = surge_trigger(ou, window_seconds=60, threshold_count=3, webhook_url=HOOK)
    opens = surge_trigger(ou, window_seconds=300, threshold_count=10, emails=["ops@x.io"])
    rows = [
        (visits, "web", "ann", 0),
        (visits, "web", "bob", 5),
        (opens, "email", "ann", 20),
        (visits, "web", "ann", 70),
        (visits, "web", "carl", 75),
        (visits, "web", "ann", 80),
        (opens, "email", "bob", 185),
    ]
    firings = [
        make_firing(
            trigger,
            leads[lead],
            occurred_at=T0 + datetime.timedelta(minutes=minutes),
            channel=channel,
            event_type=f"{channel}_event",
            payload={"count": trigger.threshold_count, "window_us": trigger.window_seconds * 10**6},
        )
        for trigger, channel, lead, minutes in rows
    ]
    # Not surges: a milestone firing, and a surge of another OU.
    milestone = trigger_create(ou=ou, member=None, kind=Trigger.Kind.MILESTONE, score_threshold=1)
    make_firing(milestone, leads["ann"], occurred_at=T0)
    other = make_unit(ou.org)
    theirs = surge_trigger(other, window_seconds=60, threshold_count=1, webhook_url=HOOK)
    make_firing(theirs, lead_create(ou=other, lead_id="ann", metadata={}), occurred_at=T0)
    return {"visits": visits, "opens": opens, "firings": firings}


def test_surge_events_list(client, surges):
    items, total = listed(client, "/surge/events")
    assert total == 7
    assert [item["id"] for item in items] == [f"fi_{f.pk}" for f in reversed(surges["firings"])]
    assert items[0] == {
        "id": f"fi_{surges['firings'][-1].pk}",
        "trigger_id": surges["opens"].public_id,
        "lead_id": "bob",
        "event_type": "email_event",
        "channel": "email",
        "count": 10,
        "window_seconds": 300,
        "occurred_at": "2025-08-15T15:05:00Z",
    }

    def leads(query):
        return [item["lead_id"] for item in listed(client, "/surge/events", query)[0]]

    assert leads({"channel": "email"}) == ["bob", "ann"]
    assert leads({"channel": "sms"}) == []
    assert leads({"start": "2025-08-15T13:10:00Z", "end": "2025-08-15T13:20:00Z"}) == [
        "carl",
        "ann",
    ]
    assert leads({"channel": "web", "limit": 2, "page": 2}) == ["ann", "bob"]
    assert client.get(f"{API}/surge/events", {"start": "soon"}).status_code == 400


def metrics(client, ou, status=200, **query):
    response = client.get(f"{API}/org-units/{ou.id}/surge-metrics", query)
    assert response.status_code == status, response.content
    return response.json()


def test_surge_metrics_hourly(ou, surges):
    owner = member_client_for(ou, role="Viewer")
    body = metrics(owner, ou, start="2025-08-15T12:00:00Z", end="2025-08-15T16:00:00Z")
    assert body == {
        "ou_id": ou.id,
        "start": "2025-08-15T12:00:00Z",
        "end": "2025-08-15T16:00:00Z",
        "interval": "1h",
        "totals": {"surges": 7, "leads": 3, "by_channel": {"email": 2, "web": 5}},
        "peak": {"bucket_start": "2025-08-15T12:00:00Z", "surges": 3},
        "channels": ["email", "web"],
        "series": [
            {"bucket_start": "2025-08-15T12:00:00Z", "surges": 3, "leads": 2},
            {"bucket_start": "2025-08-15T13:00:00Z", "surges": 3, "leads": 2},
            {"bucket_start": "2025-08-15T14:00:00Z", "surges": 0, "leads": 0},
            {"bucket_start": "2025-08-15T15:00:00Z", "surges": 1, "leads": 1},
        ],
        "limit": 1000,
        "offset": 0,
    }


def test_surge_metrics_channel_buckets_from_start_and_paging(ou, surges):
    viewer = member_client_for(ou, role="Viewer")
    web = metrics(
        viewer,
        ou,
        start="2025-08-15T12:05:00Z",
        end="2025-08-15T13:30:00Z",
        interval="15m",
        channel="web",
    )
    # Web surges in range: bob 12:05, ann 13:10, carl 13:15, ann 13:20 (ann 12:00 is before).
    assert web["totals"] == {"surges": 4, "leads": 3, "by_channel": {"web": 4}}
    assert web["channels"] == ["email", "web"]
    assert [(b["bucket_start"][11:16], b["surges"], b["leads"]) for b in web["series"]] == [
        ("12:05", 1, 1),
        ("12:20", 0, 0),
        ("12:35", 0, 0),
        ("12:50", 0, 0),
        ("13:05", 2, 2),
        ("13:20", 1, 1),
    ]
    assert web["peak"] == {"bucket_start": "2025-08-15T13:05:00Z", "surges": 2}

    paged = metrics(
        viewer,
        ou,
        start="2025-08-15T12:05:00Z",
        end="2025-08-15T13:30:00Z",
        interval="15m",
        limit=2,
        offset=3,
    )
    assert [b["bucket_start"][11:16] for b in paged["series"]] == ["12:50", "13:05"]
    assert (paged["limit"], paged["offset"], paged["totals"]["surges"]) == (2, 3, 5)
    assert paged["totals"]["by_channel"] == {"email": 1, "web": 4}
    sms = metrics(
        viewer, ou, start="2025-08-15T12:05:00Z", end="2025-08-15T13:30:00Z", channel="sms"
    )
    assert sms["totals"] == {"surges": 0, "leads": 0, "by_channel": {}}
    assert (sms["channels"], sms["peak"]) == (["email", "web"], None)

    daily = metrics(
        viewer, ou, start="2025-08-14T00:00:00Z", end="2025-08-16T00:00:00Z", interval="1d"
    )
    assert [(b["surges"], b["leads"]) for b in daily["series"]] == [(0, 0), (7, 3)]

    quiet = metrics(viewer, ou, start="2025-08-16T00:00:00Z", end="2025-08-16T02:00:00Z")
    assert quiet["peak"] is None
    assert quiet["totals"] == {"surges": 0, "leads": 0, "by_channel": {}}
    assert quiet["channels"] == []
    assert [b["surges"] for b in quiet["series"]] == [0, 0]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"start": "2025-08-15T12:00:00Z"},
        {"end": "2025-08-15T12:00:00Z"},
        {"start": "2025-08-15T12:00:00", "end": "2025-08-15T13:00:00Z"},
        {"start": "2025-08-15T13:00:00Z", "end": "2025-08-15T12:00:00Z"},
        {"start": "2025-08-15T12:00:00Z", "end": "2025-08-15T12:00:00Z"},
        {"start": "2025-08-15T12:00:00Z", "end": "2025-08-15T13:00:00Z", "interval": "5m"},
        # 1,001 buckets of 15 minutes
        {"start": "2025-08-01T00:00:00Z", "end": "2025-08-11T10:15:00Z", "interval": "15m"},
        {"start": "2025-08-15T12:00:00Z", "end": "2025-08-15T13:00:00Z", "limit": 0},
    ],
)
def test_bad_surge_metrics_queries_are_400(ou, query):
    assert "details" in metrics(member_client_for(ou, role="Viewer"), ou, status=400, **query)


def test_surge_metrics_allow_1000_buckets(ou):
    body = metrics(
        member_client_for(ou, role="Viewer"),
        ou,
        start="2025-08-01T00:00:00Z",
        end="2025-08-11T10:00:00Z",
        interval="15m",
    )
    assert len(body["series"]) == 1000


def test_surge_metrics_of_an_ou_the_caller_cannot_see_are_404(ou, client):
    query = {"start": "2025-08-15T12:00:00Z", "end": "2025-08-15T13:00:00Z"}
    outsider = member_client_for(
        make_unit(ou.org), role="Owner"
    )  # a member of the org, not of the OU
    metrics(outsider, ou, status=404, **query)
    metrics(member_client_for(make_unit(), role="Owner"), ou, status=404, **query)  # another org
    missing = make_unit(ou.org)
    missing_id = missing.id
    missing.delete()
    response = outsider.get(f"{API}/org-units/{missing_id}/surge-metrics", query)
    assert response.status_code == 404
    # API credentials do not read surge metrics (the spec: bearer tokens only).
    metrics(client, ou, status=403, **query)


# --- Webhook signing secret -----------------------------------------------------------------


def test_webhook_secret_is_shown_once_and_rotates(ou):
    operator = member_client_for(ou, role="Operator")
    first = call(operator, "get", "/settings/webhook-secret")
    assert first["Cache-Control"] == "no-store"
    shown = first.json()
    assert shown["secret"].startswith("whsec_")
    assert shown["revealed_at"] is not None
    assert signing_secrets(ou.id) == [shown["secret"]]
    again = call(operator, "get", "/settings/webhook-secret").json()
    assert again == {**shown, "secret": None}

    rotated = call(operator, "post", "/settings/webhook-secret/rotate")
    assert rotated["Cache-Control"] == "no-store"
    new = rotated.json()
    assert new["secret"].startswith("whsec_")
    assert new["secret"] != shown["secret"]
    assert new["rotated_at"] is not None
    assert new["previous_expires_at"] is not None
    assert signing_secrets(ou.id) == [new["secret"], shown["secret"]]
    assert call(operator, "get", "/settings/webhook-secret").json()["secret"] is None

    other = make_unit(ou.org)
    theirs = call(
        member_client_for(other, role="Operator"), "get", "/settings/webhook-secret"
    ).json()
    assert theirs["secret"] not in (shown["secret"], new["secret"])


def test_webhook_secret_needs_an_operators_jwt(ou, client):
    viewer = member_client_for(ou, role="Viewer")
    for caller in (viewer, client):
        refused(caller, "get", "/settings/webhook-secret", status=403)
        refused(caller, "post", "/settings/webhook-secret/rotate", status=403)
    assert WebhookSecret.objects.for_ou(ou).count() == 0
