"""Segments and triggers in a real browser: build a segment with logic groups and watch the
live preview, see a mistake at its field, open its members and history; create a milestone
trigger (a refused webhook shown at its field), simulate it; a Viewer sees no write controls."""

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from orgunits.models import OrgUnit
from tests.e2e.browser.conftest import Stack, screenshot, sign_in
from tests.factories import make_credential

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_CONTROLS = "[data-write-control]"
LEADS = {"ada": "DE", "bob": "US", "cyd": "FR"}


@pytest.fixture(autouse=True)
def patient_expectations():
    """Membership recomputes run on the worker: give them more than the default 5 s."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def open_area(page: Page, name: str) -> None:
    """Through the app's navigation: a page load would open another live stream."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def seed(stack: Stack) -> list[tuple[str, str]]:
    """The same three leads in each OU, through the API; returns each OU's credential."""
    auths = []
    for unit in OrgUnit.objects.filter(name__in=stack.ou_names):
        issued = make_credential(unit)
        auth = (issued.credential.client_id, issued.client_secret)
        for lead_id, country in LEADS.items():
            response = requests.post(
                f"{stack.base_url}/api/v1/leads",
                json={
                    "id": lead_id,
                    "metadata": {"country": country, "email": f"{lead_id}@x.test"},
                },
                auth=auth,
                timeout=10,
            )
            assert response.status_code == 201, response.text
        auths.append(auth)
    return auths


def test_build_a_segment_and_a_trigger(page: Page, stack: Stack):
    seed(stack)
    sign_in(page, email=stack.admin_email)

    open_area(page, "Segments")
    expect(page.get_by_text("No segments yet")).to_be_visible()
    screenshot(page, "segments-empty")

    page.get_by_role("button", name="New segment").first.click()
    page.get_by_label("Name").fill("Germany or France")
    page.get_by_label("Property, group 1, rule 1").fill("country")
    page.get_by_label("Value, group 1, rule 1").fill("DE")
    page.get_by_role("button", name="Add rule to group 1").click()
    page.get_by_label("Property, group 1, rule 2").fill("country")
    page.get_by_label("Value, group 1, rule 2").fill("FR")
    # Both rules in one group: AND matches nobody, OR matches two.
    expect(page.get_by_test_id("segment-preview-count")).to_have_text("0")
    page.get_by_text("any rule (OR)").click()
    expect(page.get_by_test_id("segment-preview-count")).to_have_text("2")
    expect(page.get_by_role("link", name="ada@x.test")).to_be_visible()

    page.get_by_role("button", name="Add group (AND)").click()
    page.get_by_role("combobox", name="Rule type, group 2, rule 1").click()
    page.get_by_role("option", name="Engagement score").click()
    page.get_by_role("combobox", name="Operator, group 2, rule 1").click()
    page.get_by_role("option", name="is at least").click()
    page.get_by_label("Value, group 2, rule 1").fill("lots")
    page.get_by_role("button", name="Create segment").click()
    expect(page.get_by_text("Enter a number.")).to_be_visible()
    screenshot(page, "segments-builder-field-error")

    page.get_by_label("Value, group 2, rule 1").fill("0")
    expect(page.get_by_test_id("segment-preview-count")).to_have_text("2")
    screenshot(page, "segments-builder-preview")
    page.get_by_role("button", name="Create segment").click()

    expect(page).to_have_url(re.compile(r"/app/segments/sg_\d+$"))
    expect(page.get_by_role("heading", name="Germany or France")).to_be_visible()
    expect(page.get_by_test_id("segment-lead-count")).to_have_text("2", timeout=20_000)
    expect(page.get_by_role("row", name=re.compile("ada"))).to_be_visible()
    screenshot(page, "segments-members")
    page.get_by_role("tab", name="Entered / exited").click()
    expect(page.get_by_role("row", name=re.compile("cyd"))).to_be_visible()
    screenshot(page, "segments-history")
    page.get_by_role("tab", name="Rules").click()
    expect(page.get_by_text("Engagement score")).to_be_visible()

    open_area(page, "Segments")
    expect(page.get_by_role("row", name=re.compile("Germany or France.*2"))).to_be_visible()
    screenshot(page, "segments-list")

    open_area(page, "Triggers")
    expect(page.get_by_text("No triggers yet")).to_be_visible()
    screenshot(page, "triggers-empty")
    page.get_by_role("button", name="New trigger").first.click()
    page.get_by_role("menuitem", name=re.compile("^Milestone")).click()
    page.get_by_label("Name").fill("Reached 50")
    page.get_by_label("Score threshold").fill("50")
    # A webhook to a private address is refused by the API, at the field.
    page.get_by_label("Webhook URL", exact=True).fill("http://127.0.0.1:9/hook")
    page.get_by_role("button", name="Create trigger").click()
    webhook_error = page.locator(
        "#" + page.get_by_label("Webhook URL", exact=True).get_attribute("id") + "-error"
    )
    expect(webhook_error).to_be_visible()
    screenshot(page, "triggers-form-field-error")

    page.get_by_label("Webhook URL", exact=True).fill("")
    page.get_by_role("combobox", name="Email recipients").fill("sales@x.test")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Create trigger").click()
    expect(page).to_have_url(re.compile(r"/app/triggers/milestone/tr_\d+$"))
    expect(page.get_by_text("Score reaches 50 on any event")).to_be_visible()
    expect(page.get_by_text("1 email")).to_be_visible()
    expect(page.get_by_text("It has not fired yet")).to_be_visible()
    screenshot(page, "triggers-detail-firings")
    page.get_by_role("tab", name="Simulate").click()
    page.get_by_role("button", name="Simulate").click()
    expect(page.get_by_text("Would not fire")).to_be_visible()
    screenshot(page, "triggers-simulate")
    page.get_by_role("tab", name="Deliveries").click()
    expect(page.get_by_text("No deliveries yet")).to_be_visible()

    open_area(page, "Triggers")
    expect(
        page.get_by_role("row", name=re.compile("Reached 50.*Milestone", re.IGNORECASE))
    ).to_be_visible()
    screenshot(page, "triggers-list")


def test_a_viewer_reads_segments_and_triggers_without_write_controls(page: Page, stack: Stack):
    for auth in seed(stack):
        response = requests.post(
            f"{stack.base_url}/api/v1/segments",
            json={"name": "Everyone in Germany"},
            auth=auth,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        segment_id = response.json()["segment_id"]
        response = requests.post(
            f"{stack.base_url}/api/v1/segments/{segment_id}/rules",
            json={
                "rule_type": "lead_metadata",
                "field_name": "country",
                "operator": "equals",
                "value": "DE",
            },
            auth=auth,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        response = requests.post(
            f"{stack.base_url}/api/v1/triggers/milestones",
            json={"name": "Hot lead", "score_threshold": 80},
            auth=auth,
            timeout=10,
        )
        assert response.status_code == 201, response.text

    sign_in(page, email=stack.viewer_email)
    expect(page.get_by_test_id("active-ou")).to_contain_text("Viewer")
    open_area(page, "Segments")
    expect(page.get_by_role("row", name=re.compile("Everyone in Germany"))).to_be_visible()
    expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
    screenshot(page, "segments-list-as-viewer")
    page.get_by_role("row", name=re.compile("Everyone in Germany")).click()
    expect(page.get_by_role("button", name="Export CSV")).to_be_visible()
    expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
    screenshot(page, "segments-detail-as-viewer")

    open_area(page, "Triggers")
    expect(page.get_by_role("row", name=re.compile("Hot lead"))).to_be_visible()
    expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
    page.get_by_role("row", name=re.compile("Hot lead")).click()
    expect(page.get_by_text("Score reaches 80 on any event")).to_be_visible()
    expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
    screenshot(page, "triggers-detail-as-viewer")
