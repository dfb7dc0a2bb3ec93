"""The admin app's end-to-end scenario in a real browser, as a marketer lives it: sign in,
switch to the OU that has data, see it on the dashboard, build a ruleset and a rule on the
Scoring page, watch a lead's score follow an event ingested through the API without a reload
(the live stream), find the new point on the lead's score-history chart, wire a milestone
trigger to a webhook receiver on 127.0.0.1, ingest until it fires and see the delivery listed
as delivered. A Viewer of the same OU then walks every page and finds no write control.
Each page visited is saved as a screenshot (`scenario-NN-...`)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from orgunits.models import OrgUnit
from tests.api_clients import credential_authorization
from tests.e2e.browser.conftest import Stack, screenshot, sign_in, wait_until_loaded
from tests.e2e.processes import wait_until
from tests.factories import make_credential
from tests.fakes.webhooks import WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_CONTROLS = "[data-write-control]"
# Leads with their page views of two days ago: the dashboard has data before any rule exists.
LEADS = {"ada": 1, "bob": 3, "cy": 2}
RULE_POINTS = 25
MILESTONE = 50
# What a Viewer reads: every area, a lead, the scoring tabs, the data tabs and the settings
# sections a Viewer may see (the others are hidden from the navigation and refused).
VIEWER_PATHS = (
    "/app/dashboard",
    "/app/leads",
    "/app/leads/ada",
    *(
        f"/app/scoring/{tab}"
        for tab in ("rulesets", "decay", "filters", "surge", "levels", "event-types")
    ),
    "/app/segments",
    "/app/triggers",
    "/app/triggers/deliveries",
    "/app/data",
    "/app/data/import",
    "/app/data/export",
    "/app/settings/members",
    "/app/settings/slack",
    "/app/settings/usage",
)


@pytest.fixture(scope="module")
def stack_env_overrides() -> dict[str, str]:
    """The webhook receiver listens on 127.0.0.1, which production refuses as a target."""
    return {"OUTBOUND_ALLOWED_NETWORKS": "loopback"}


class IngestApi:
    """The public API as an integration calls it: HTTP Basic with a credential of the OU."""

    def __init__(self, *, base_url: str, unit: OrgUnit):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = credential_authorization(make_credential(unit))

    def post(self, path: str, body: dict) -> dict:
        response = self.session.post(f"{self.base_url}/api/v1{path}", json=body, timeout=10)
        assert response.status_code in (201, 202), response.text
        return response.json()

    def event(self, lead_id: str, event_type: str, *, at: datetime | None = None) -> None:
        body = {"lead_id": lead_id, "event_type": event_type}
        if at:
            body["timestamp"] = at.isoformat()
        self.post("/events", body)


def test_the_marketers_day_from_sign_in_to_a_delivered_webhook(
    page: Page, stack: Stack, webhook_receiver: WebhookReceiver
):
    sign_in(page, email=stack.admin_email)
    expect(page).to_have_url(re.compile(r"/app/dashboard$"))
    screenshot(page, "scenario-01-dashboard-first-ou")
    active_ou = page.get_by_test_id("active-ou")
    first_name = next(name for name in stack.ou_names if name in active_ou.inner_text())
    ou_name = next(name for name in stack.ou_names if name != first_name)
    api = IngestApi(base_url=stack.base_url, unit=OrgUnit.objects.get(name=ou_name))
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    for lead_id, page_views in LEADS.items():
        api.post("/leads", {"id": lead_id, "metadata": {"name": lead_id.title()}})
        for minute in range(page_views):
            api.event(lead_id, "page_view", at=two_days_ago + timedelta(minutes=minute))

    page.get_by_test_id("ou-switcher").click()
    page.get_by_role("option", name=ou_name).click()
    expect(active_ou).to_contain_text(ou_name)
    expect(page.get_by_test_id("stat-Events")).to_have_text(str(sum(LEADS.values())))
    expect(page.get_by_test_id("stat-Active leads")).to_have_text(str(len(LEADS)))
    screenshot(page, "scenario-02-dashboard-after-ou-switch")

    page.get_by_role("link", name="Scoring", exact=True).click()
    expect(page.get_by_text("No rulesets yet")).to_be_visible()
    page.get_by_role("button", name="New ruleset").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Engagement")
    dialog.get_by_role("button", name="Create ruleset").click()
    expect(page.get_by_role("heading", name="Engagement")).to_be_visible()
    page.get_by_role("button", name="New rule", exact=True).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Event type").fill("demo_requested")
    dialog.get_by_label("Points per event").fill(str(RULE_POINTS))
    dialog.get_by_role("button", name="Create rule").click()
    expect(dialog).to_be_hidden()
    rules = page.get_by_role("table", name="Rules of Engagement")
    expect(rules.get_by_role("row").filter(has_text="demo_requested")).to_contain_text(
        f"+{RULE_POINTS}"
    )
    screenshot(page, "scenario-03-scoring-ruleset-and-rule")

    page.get_by_role("link", name="Leads", exact=True).click()
    ada_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Ada", exact=True))
    expect(ada_row).to_be_visible()
    expect(ada_row).not_to_contain_text(str(RULE_POINTS))
    screenshot(page, "scenario-04-leads-before-the-event")
    # A full load would drop this mark and fire a `load` event.
    page.evaluate("() => { window.scenarioMark = 'no reload' }")
    loads: list[Page] = []
    page.on("load", lambda loaded: loads.append(loaded))
    leads_url = page.url

    api.event("ada", "demo_requested")
    expect(ada_row).to_contain_text(str(RULE_POINTS))
    assert page.evaluate("() => window.scenarioMark") == "no reload"
    assert not loads
    assert page.url == leads_url
    screenshot(page, "scenario-05-leads-score-changed-live")

    ada_row.get_by_role("link", name="Ada", exact=True).click()
    expect(page.get_by_role("heading", name="Ada", exact=True)).to_be_visible()
    expect(page.get_by_test_id("score-history-chart")).to_have_attribute(
        "aria-label", f"Score history of {LEADS['ada'] + 1} events, now {RULE_POINTS}"
    )
    timeline = page.get_by_role("listbox", name=f"Events, newest first ({LEADS['ada'] + 1})")
    expect(timeline.get_by_role("option").first).to_contain_text("demo_requested")
    expect(page.get_by_test_id("event-explanation")).to_contain_text(f"0 → {RULE_POINTS}")
    screenshot(page, "scenario-06-lead-page-new-point")

    page.get_by_role("link", name="Triggers", exact=True).click()
    page.get_by_role("button", name="New trigger").first.click()
    page.get_by_role("menuitem", name=re.compile("^Milestone")).click()
    page.get_by_label("Name").fill("Ready for sales")
    page.get_by_label("Score threshold").fill(str(MILESTONE))
    page.get_by_label("Webhook URL", exact=True).fill(webhook_receiver.url("/ready-for-sales"))
    screenshot(page, "scenario-07-trigger-form")
    page.get_by_role("button", name="Create trigger").click()
    expect(page).to_have_url(re.compile(r"/app/triggers/milestone/tr_\d+$"))
    expect(page.get_by_text(f"Score reaches {MILESTONE} on any event")).to_be_visible()
    trigger_path = page.url.removeprefix(stack.base_url)
    screenshot(page, "scenario-08-trigger-created")

    for _ in range(MILESTONE // RULE_POINTS + 1):
        api.event("ada", "demo_requested")
        if wait_until(lambda: webhook_receiver.requests, timeout=20):
            break
    (delivered,) = webhook_receiver.requests
    assert delivered.path == "/ready-for-sales"
    assert b'"ada"' in delivered.body

    page.get_by_role("tab", name="Firings").click()
    expect(page.get_by_role("row").filter(has_text="ada")).to_be_visible()
    screenshot(page, "scenario-09-trigger-firings")
    page.goto("/app/triggers/deliveries")
    deliveries = page.get_by_role("table", name="Deliveries")
    expect(deliveries.get_by_test_id("delivery-status")).to_have_text(["delivered"])
    expect(deliveries).to_contain_text(webhook_receiver.url("/ready-for-sales"))
    screenshot(page, "scenario-10-trigger-delivery-delivered")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, email=stack.viewer_email)
    if ou_name not in page.get_by_test_id("active-ou").inner_text():
        page.get_by_test_id("ou-switcher").click()
        page.get_by_role("option", name=ou_name).click()
    expect(page.get_by_test_id("active-ou")).to_contain_text("Viewer")
    for path in (*VIEWER_PATHS, trigger_path):
        page.goto(path)
        wait_until_loaded(page)
        expect(page.locator(WRITE_CONTROLS), path).to_have_count(0)
    screenshot(page, "scenario-11-viewer-reads-without-write-controls")
