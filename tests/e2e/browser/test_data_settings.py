"""The Data and Settings pages in a real browser, on data made through the UI: a CSV import
runs to its end with its row errors shown and the events listed and filtered; an API
credential's secret is shown once and the credential revoked; an API validation error shows
at its field; a Viewer sees neither write controls nor the Owner-only sections."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Stack, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_CONTROLS = "[data-write-control]"
# The stack shares two cores with everything else on the machine: first loads can be slow.
LOADED = 20_000
# Leads are found (or made) by their email alias; the last row's time is unreadable.
CSV = (
    "event_type,email,timestamp,metadata\n"
    'pricing_page_view,ada@example.com,2026-11-30T09:00:00Z,"{""path"": ""/pricing""}"\n'
    "demo_request,ada@example.com,2026-11-30T09:05:00Z,\n"
    "webinar_attended,grace@example.com,2026-11-30T10:00:00Z,\n"
    "pricing_page_view,grace@example.com,not-a-time,\n"
)


def test_import_a_csv_then_list_filter_and_export_events(page: Page, stack: Stack, tmp_path):
    sign_in(page, email=stack.admin_email)
    page.goto("/app/data")
    expect(page.get_by_text("No events yet")).to_be_visible(timeout=LOADED)
    screenshot(page, "data-events-empty")

    page.get_by_role("tab", name="Import CSV").click()
    expect(page).to_have_url(re.compile(r"/app/data/import$"))
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(CSV)
    with page.expect_file_chooser() as chooser:
        page.get_by_label("CSV file").click()
    chooser.value.set_files(str(csv_file))
    page.get_by_role("button", name="Import", exact=True).click()
    outcome = page.get_by_role("status").filter(has_text=re.compile("^(Done|Failed)"))
    expect(outcome).to_be_visible(timeout=90_000)
    expect(outcome).to_have_text("Done: 3 imported, 1 failed")
    expect(page.get_by_role("progressbar", name="Import progress")).to_be_visible()
    row_errors = page.get_by_role("table", name="Row errors")
    expect(row_errors).to_contain_text("5")
    expect(row_errors).to_contain_text("timestamp")
    screenshot(page, "data-import-finished-with-row-errors")

    page.get_by_role("tab", name="Events").click()
    events = page.get_by_role("table", name="Events")
    # The header and three events.
    expect(events.get_by_role("row")).to_have_count(4, timeout=LOADED)
    expect(events).to_contain_text("webinar_attended")
    page.get_by_role("combobox", name="Event types").click()
    page.get_by_role("option", name="demo_request").click()
    page.keyboard.press("Escape")
    expect(events.get_by_role("row")).to_have_count(2)
    expect(events).not_to_contain_text("webinar_attended")
    screenshot(page, "data-events-filtered-by-type")

    page.get_by_role("tab", name="Export").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download events CSV").click()
    download = download_info.value
    assert re.fullmatch(r"events-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    exported = download.path().read_text()
    assert "webinar_attended" in exported
    assert "demo_request" in exported
    screenshot(page, "data-export")


def test_settings_credentials_members_and_webhook_secret(page: Page, stack: Stack):
    sign_in(page, email=stack.admin_email)
    page.goto("/app/settings")
    expect(page).to_have_url(re.compile(r"/app/settings/credentials$"))
    expect(page.get_by_text("No API credentials yet")).to_be_visible(timeout=LOADED)

    page.get_by_label("New credential name").fill("Website tracker")
    page.get_by_role("button", name="Create credential").click()
    secret = page.get_by_role("status").filter(has_text="Secret of “Website tracker”")
    expect(secret).to_be_visible()
    expect(secret.get_by_role("button", name="Copy")).to_be_visible()
    credentials = page.get_by_role("table", name="API credentials")
    expect(credentials).to_contain_text("Website tracker")
    expect(credentials).to_contain_text("Never")
    screenshot(page, "settings-credential-secret-shown-once")
    page.get_by_role("button", name="Done").click()
    expect(secret).to_have_count(0)

    page.get_by_role("button", name="Revoke Website tracker").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("No API credentials yet")).to_be_visible()

    page.get_by_role("tab", name="Members").click()
    memberships = page.get_by_role("table", name=re.compile("Members of"))
    expect(memberships).to_contain_text(stack.viewer_email, timeout=LOADED)
    page.get_by_role("button", name="Add member").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("First name").fill("Second")
    dialog.get_by_label("Last name").fill("Viewer")
    dialog.get_by_label("Email").fill(stack.viewer_email)
    dialog.get_by_label("Initial password").fill("another-long-password")
    dialog.get_by_role("button", name="Add member").click()
    # The API's refusal of a taken email shows at the email field.
    expect(dialog.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_contain_text("A member with this email already exists")
    screenshot(page, "settings-members-error-at-field")
    page.keyboard.press("Escape")
    screenshot(page, "settings-members")

    page.get_by_role("tab", name="Webhook signing").click()
    shown_secret = page.locator("pre[aria-label='Webhook signing secret']")
    expect(shown_secret).to_contain_text("whsec_", timeout=LOADED)
    screenshot(page, "settings-webhook-secret-shown-once")
    page.get_by_role("button", name="Rotate secret").click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate").click()
    expect(page.get_by_text("Rotation in progress")).to_be_visible()
    screenshot(page, "settings-webhook-secret-rotated")

    for tab, name in [("Slack", "slack"), ("Rate limit", "rate-limit"), ("Usage", "usage")]:
        page.get_by_role("tab", name=tab).click()
        expect(page).to_have_url(re.compile(f"/app/settings/{name}$"))
        page.wait_for_load_state("networkidle")
        screenshot(page, f"settings-{name}")

    page.get_by_role("tab", name="Audit log").click()
    # Entries reach the log by a periodic flush this stack does not run: it may still be empty.
    audit = page.get_by_role("table", name="Audit log")
    expect(audit.or_(page.get_by_text("Nothing audited yet"))).to_be_visible(timeout=LOADED)
    page.get_by_role("combobox", name="Method").click()
    page.get_by_role("option", name="DELETE").click()
    no_match = page.get_by_text("No entries match these filters")
    expect(audit.or_(no_match)).to_be_visible(timeout=LOADED)
    screenshot(page, "settings-audit-log-filtered")


def test_a_viewer_sees_no_write_controls_and_no_owner_sections(page: Page, stack: Stack):
    sign_in(page, email=stack.viewer_email)
    for path in ["/app/data", "/app/data/import", "/app/data/export"]:
        page.goto(path)
        expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=LOADED)
        page.wait_for_load_state("networkidle")
        expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
    expect(page.get_by_label("CSV file")).to_have_count(0)

    page.goto("/app/settings")
    expect(page).to_have_url(re.compile(r"/app/settings/members$"), timeout=LOADED)
    tabs = page.get_by_role("tablist", name="Settings sections")
    expect(tabs.get_by_role("tab")).to_have_text(["Members", "Slack", "Usage"])
    for tab in ["Members", "Slack", "Usage"]:
        tabs.get_by_role("tab", name=tab).click()
        page.wait_for_load_state("networkidle")
        expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
        screenshot(page, f"settings-{tab.lower()}-as-viewer")
    # An Owner-only section's address sends a Viewer back to what they may see.
    page.goto("/app/settings/credentials")
    expect(page).to_have_url(re.compile(r"/app/settings/members$"))
