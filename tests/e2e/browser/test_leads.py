"""The dashboard, the leads list and the lead page in a real browser, on real data scored by
the real pipeline: numbers and scores change on screen without a reload when an event comes
in, the lead page explains each event, a lead with 10,000 events keeps only the rows in view
in the DOM and draws a downsampled chart (its time to interactive is printed: the budget is
1 s on an idle machine), a lead is deleted after a confirmation, and a Viewer sees none of the
write controls."""

import re
import time

import pytest
import requests
from playwright.sync_api import Page, expect

from orgunits.models import OrgUnit
from scoring.models import EngagementEvent
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_events
from tests.api_clients import credential_authorization
from tests.e2e.browser.conftest import Stack, screenshot, sign_in
from tests.factories import make_credential
from tests.scoring.scoring_helpers import config_spec, new_event, store_config

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_CONTROLS = "[data-write-control]"
RULES = config_spec(
    [("page_view", 2, None, True), ("demo_request", 10, None, True)], surge=("off", [], "1")
)
BIG_LEAD_EVENTS = 10_000


def active_unit(page: Page) -> OrgUnit:
    """The OU the app opened (the first one it lists)."""
    label = page.get_by_test_id("active-ou").inner_text()
    return next(unit for unit in OrgUnit.objects.all() if unit.name in label)


def seed_leads(unit: OrgUnit, scored: dict[str, int]) -> None:
    """Leads with `count` page views each, scored by the pipeline."""
    store_config(unit, RULES)
    for lead_id, count in scored.items():
        lead = lead_create(ou=unit, lead_id=lead_id, metadata={"name": lead_id.title()})
        EngagementEvent.objects.bulk_create(
            [new_event(lead, "page_view", minute * 10) for minute in range(count)]
        )
    process_pending_events()


def test_scores_change_live_and_the_lead_page_explains_them(page: Page, stack: Stack):
    sign_in(page, email=stack.admin_email)
    unit = active_unit(page)
    seed_leads(unit, {"ada": 20, "bob": 5, "cy": 1})
    api = requests.Session()
    api.headers["Authorization"] = credential_authorization(make_credential(unit))

    page.goto("/app/dashboard")
    expect(page.get_by_test_id("stat-Events")).to_have_text("26")
    expect(page.get_by_role("table", name="Top leads").get_by_role("row")).to_have_count(4)
    screenshot(page, "dashboard-with-data")

    page.get_by_role("link", name="Leads", exact=True).click()
    ada_row = page.get_by_role("row").filter(has_text="ada")
    expect(ada_row).to_contain_text("40")
    screenshot(page, "leads-list")

    # A demo request comes in through the API: the row's score follows without a reload.
    response = api.post(
        f"{stack.base_url}/api/v1/events", json={"lead_id": "ada", "event_type": "demo_request"}
    )
    assert response.status_code == 202, response.text
    expect(ada_row).to_contain_text("50", timeout=15_000)
    screenshot(page, "leads-list-live-update")

    # A filter that matches nothing says what to do next.
    page.get_by_label("Min score").fill("1000")
    expect(page.get_by_text("No leads match these filters")).to_be_visible()
    expect(page).to_have_url(re.compile(r"min_score=1000"))
    screenshot(page, "leads-list-filtered-empty")
    page.get_by_role("button", name="Clear filters").first.click()

    page.get_by_role("link", name="Ada", exact=True).click()
    expect(page.get_by_role("heading", name="Ada", exact=True)).to_be_visible()
    expect(page.get_by_test_id("lead-scores")).to_contain_text("50")
    expect(page.get_by_test_id("score-history-chart")).to_be_visible()
    timeline = page.get_by_role("listbox", name="Events, newest first (21)")
    expect(timeline.get_by_role("option").first).to_contain_text("demo_request")
    explanation = page.get_by_test_id("event-explanation")
    expect(explanation).to_contain_text("40 → 50")
    # Keyboard: the next (older) event is explained.
    timeline.focus()
    page.keyboard.press("ArrowDown")
    expect(explanation).to_contain_text("38 → 40")
    screenshot(page, "lead-page")

    # Deleting asks first, then leaves for the list.
    page.get_by_role("button", name="Delete lead").click()
    dialog = page.get_by_role("dialog", name="Delete ada?")
    expect(dialog).to_contain_text("21 events")
    screenshot(page, "lead-delete-confirmation")
    dialog.get_by_role("button", name="Delete lead").click()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()


def test_a_lead_with_10000_events_is_virtualized_and_timed(page: Page, stack: Stack):
    sign_in(page, email=stack.admin_email)
    unit = active_unit(page)
    seeding = time.perf_counter()
    seed_leads(unit, {"big": BIG_LEAD_EVENTS})
    print(f"seeded and scored {BIG_LEAD_EVENTS} events in {time.perf_counter() - seeding:.1f} s")

    page.goto("/app/leads")
    link = page.get_by_role("link", name="Big", exact=True)
    expect(link).to_be_visible(timeout=30_000)
    started = time.perf_counter()
    link.click()
    timeline = page.get_by_role("listbox", name=f"Events, newest first ({BIG_LEAD_EVENTS:,})")
    expect(timeline.get_by_role("option").first).to_be_visible()
    interactive = time.perf_counter() - started
    expect(page.get_by_test_id("score-history-chart").locator("path").first).to_be_visible()
    expect(page.get_by_text(f"{BIG_LEAD_EVENTS:,} events, drawn as")).to_be_visible()
    complete = time.perf_counter() - started
    print(
        f"lead page with {BIG_LEAD_EVENTS} events: interactive in {interactive:.2f} s, "
        f"every event loaded and charted in {complete:.2f} s"
    )
    for name, start, duration in page.evaluate(
        "performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/'))"
        ".map(e => [e.name.split('/api/v1/')[1], Math.round(e.startTime), Math.round(e.duration)])"
    )[-40:]:
        print(f"  {start:>7} ms +{duration:>5} ms  {name}")
    # Only the rows in view are in the DOM.
    assert timeline.get_by_role("option").count() < 40
    timeline.focus()
    page.keyboard.press("End")
    expect(page.get_by_test_id("event-explanation")).to_contain_text("0 → 2")
    screenshot(page, "lead-page-10000-events")

    # A Viewer reads the same pages without a single write control.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, email=stack.viewer_email)
    for path in ("/app/dashboard", "/app/leads", "/app/leads/big"):
        page.goto(path)
        expect(page.get_by_role("heading").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
    expect(page.get_by_test_id("lead-scores")).to_be_visible()
    screenshot(page, "lead-page-as-viewer")
