"""The Scoring page in a real browser: an Owner builds a ruleset and a rule through the UI
(an API refusal shows at its field), rescores with visible progress, changes the levels
(an overlap is refused at the field, a gap is pointed out) and the surge mode; a Viewer
then sees the same configuration with no write control on any tab. Navigation is by
clicks, not reloads: each reload opens another live stream on the test's web server."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Stack, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_CONTROLS = "[data-write-control]"
TABS = ("Rulesets & rules", "Decay", "Filters", "Surge policy", "Levels", "Event types")


def open_scoring(page: Page) -> None:
    """Through the navigation, as a member would (and without reloading the app)."""
    page.get_by_role("link", name="Scoring").click()
    expect(page.get_by_role("heading", name="Scoring")).to_be_visible()


def test_an_owner_configures_scoring_and_a_viewer_only_reads_it(page: Page, stack: Stack):
    sign_in(page, email=stack.admin_email)
    open_scoring(page)
    expect(page.get_by_text("No rulesets yet")).to_be_visible()
    screenshot(page, "scoring-rulesets-empty")

    page.get_by_role("button", name="New ruleset").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Engagement")
    dialog.get_by_role("button", name="Create ruleset").click()
    expect(page.get_by_role("heading", name="Engagement")).to_be_visible()
    expect(page.get_by_text("No rules in this ruleset")).to_be_visible()

    # A control character is not an event type: the API's message shows at the field.
    page.get_by_role("button", name="New rule", exact=True).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Event type").fill("demo\x01requested")
    dialog.get_by_role("button", name="Create rule").click()
    event_type = dialog.get_by_label("Event type")
    expect(event_type).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_role("alert")).to_be_visible()
    screenshot(page, "scoring-rule-error-at-field")

    event_type.fill("demo_requested")
    dialog.get_by_label("Points per event").fill("25")
    dialog.get_by_label("Icon").fill("🎯")
    dialog.get_by_role("button", name="Create rule").click()
    expect(dialog).to_be_hidden()
    rules = page.get_by_role("table", name="Rules of Engagement")
    expect(rules.get_by_role("row").filter(has_text="demo_requested")).to_contain_text("+25")
    screenshot(page, "scoring-ruleset-with-rule")

    page.get_by_role("button", name="Rescore").click()
    page.get_by_role("dialog").get_by_role("button", name="Rescore").click()
    expect(page.get_by_role("status").filter(has_text="Rescore finished")).to_be_visible(
        timeout=30_000
    )
    screenshot(page, "scoring-rescore-finished")

    page.get_by_role("tab", name="Levels").click()
    levels = page.get_by_role("table", name="Engagement levels")
    expect(levels).to_contain_text("75 and above")
    page.get_by_role("button", name="Edit level Very Hot").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Maximum score").fill("10")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("At least the minimum score")).to_be_visible()
    dialog.get_by_label("Maximum score").fill("149")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(levels).to_contain_text("75 \N{EN DASH} 149")

    # Levels of a kind must not overlap: the API refuses, and says so at the minimum score.
    page.get_by_role("button", name="New level").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Champion")
    dialog.get_by_label("Minimum score").fill("120")
    dialog.get_by_role("button", name="Create level").click()
    expect(dialog.get_by_label("Minimum score")).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_contain_text("Very Hot")
    screenshot(page, "scoring-level-overlap-refused")
    dialog.get_by_label("Minimum score").fill("200")
    dialog.get_by_role("button", name="Create level").click()
    expect(dialog).to_be_hidden()
    expect(levels).to_contain_text("200 and above")
    # A gap is allowed, and pointed out.
    expect(page.get_by_text("Scores 150 \N{EN DASH} 199 are in no level")).to_be_visible()
    screenshot(page, "scoring-levels-with-gap")

    page.get_by_role("tab", name="Surge policy").click()
    page.get_by_text("Gentle", exact=True).click()
    page.get_by_role("button", name="Save surge policy").click()
    expect(page.get_by_text("Surge policy saved")).to_be_visible()
    page.get_by_role("tab", name="Levels").click()
    page.get_by_role("tab", name="Surge policy").click()
    preview = page.get_by_role("table", name="Surge preview")
    # The gentle preset tops out at x1.5 where standard reaches x2.
    expect(preview).to_contain_text("\N{MULTIPLICATION SIGN}1.50")
    expect(preview).not_to_contain_text("\N{MULTIPLICATION SIGN}2.00")
    screenshot(page, "scoring-surge-gentle")

    for tab in ("Decay", "Filters"):
        page.get_by_role("tab", name=tab).click()
        expect(page.locator(WRITE_CONTROLS).first).to_be_visible()
        screenshot(page, f"scoring-{tab.lower()}")
    page.get_by_role("tab", name="Event types").click()
    expect(page.get_by_text("No events yet")).to_be_visible()
    screenshot(page, "scoring-event-types-empty")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, email=stack.viewer_email)
    open_scoring(page)
    expect(page.get_by_role("table", name="Rules of Engagement")).to_contain_text("demo_requested")
    for tab in TABS:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_load_state("networkidle")
        expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
        screenshot(page, f"scoring-tab-{TABS.index(tab) + 1}-as-viewer")
