"""The admin app's shell in a real browser: sign in, see and switch the OU, sign out; a
Viewer sees no write controls where an admin has some."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import Stack, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_CONTROLS = "[data-write-control]"


def test_sign_in_switch_ou_and_sign_out(page: Page, stack: Stack):
    sign_in(page, email=stack.admin_email)
    expect(page).to_have_url(re.compile(r"/app/dashboard$"))
    active_ou = page.get_by_test_id("active-ou")
    first_name = next(name for name in stack.ou_names if name in active_ou.inner_text())
    other_name = next(name for name in stack.ou_names if name != first_name)
    expect(page.get_by_role("banner")).to_contain_text(stack.org_name)
    expect(page.get_by_test_id("member-email")).to_have_text(stack.admin_email)
    screenshot(page, "shell-dashboard-signed-in")

    page.get_by_test_id("ou-switcher").click()
    page.get_by_role("option", name=other_name).click()
    expect(active_ou).to_contain_text(other_name)
    screenshot(page, "shell-ou-switched")

    # A reload keeps the member signed in and in the OU they chose.
    page.reload()
    expect(page.get_by_test_id("active-ou")).to_contain_text(other_name)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Leadvibe")).to_be_visible()
    screenshot(page, "shell-signed-out")
    # Signed out for good: the app's pages send the visitor back to sign in.
    page.goto("/app/leads")
    expect(page.get_by_role("heading", name="Sign in to Leadvibe")).to_be_visible()


def test_a_viewer_sees_no_write_controls(page: Page, stack: Stack):
    sign_in(page, email=stack.admin_email)
    page.goto("/app/scoring")
    expect(page.get_by_role("heading", name="Scoring")).to_be_visible()
    expect(page.locator(WRITE_CONTROLS).first).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, email=stack.viewer_email)
    page.goto("/app/scoring")
    expect(page.get_by_role("heading", name="Scoring")).to_be_visible()
    expect(page.get_by_test_id("active-ou")).to_contain_text("Viewer")
    expect(page.locator(WRITE_CONTROLS)).to_have_count(0)
    screenshot(page, "scoring-as-viewer")


def test_a_wrong_password_is_shown_on_the_form(page: Page, stack: Stack):
    page.goto("/app/")
    page.get_by_label("Email").fill(stack.admin_email)
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    screenshot(page, "sign-in-refused")
