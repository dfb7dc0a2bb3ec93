"""Real-browser tests of the admin app: Debian's chromium, driven by Playwright (its driver
comes in the wheel; no browser is downloaded), against the real web server and worker on
this run's PostgreSQL and Redis.

The app opens its live stream on its own origin, so the web server answers `/api/v1/stream`
here (the stream process is a deployment's choice behind the same origin).
Screenshots land in `test-output/screenshots/` at the repository root.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

from leadvibe.embedded import free_port
from leadvibe.redis_client import breaker, get_redis
from tests.e2e.conftest import server_environment
from tests.e2e.processes import PROJECT_ROOT, start_web, start_worker, stop_process
from tests.factories import make_member, make_membership, make_org, make_unit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = PROJECT_ROOT / "test-output" / "screenshots"
PASSWORD = "a-long-password"
# Skeletons and loaders of a page's queries (the live stream keeps the network busy: waiting
# for the network to be idle never ends).
LOADING = ".mantine-Skeleton-root, .mantine-Loader-root"
# The machine is shared with other test runs: a page may take more than Playwright's 5 s.
expect.set_options(timeout=20_000)


@dataclass(frozen=True)
class Stack:
    base_url: str
    org_name: str
    ou_names: tuple[str, str]
    admin_email: str
    viewer_email: str
    password: str = PASSWORD


@pytest.fixture(scope="module")
def stack_env_overrides() -> dict[str, str]:
    """What a test module adds to its servers' environment (a module overrides this)."""
    return {}


@pytest.fixture(scope="module")
def stack_base_url(
    django_db_setup, tmp_path_factory, stack_env_overrides: dict[str, str]
) -> Iterator[str]:
    """The web server and a worker, started once per test module (a start costs seconds of a
    shared machine); each test brings its own data."""
    log_dir = tmp_path_factory.mktemp("stack")
    env = {
        **server_environment(metrics_dir=log_dir / "metrics"),
        "SECRET_KEY": django_settings.SECRET_KEY,
        # The web server answers the app's live stream here, a thread per open stream; a
        # reloaded page's old stream keeps its thread until a heartbeat finds it gone. So:
        # threads to spare, and heartbeats every 2 s.
        "WEB_THREADS": "16",
        "LIVE_STREAM_HEARTBEAT_SECONDS": "2",
        **stack_env_overrides,
    }
    port = free_port()
    web = start_web(env=env, port=port, log_dir=log_dir)
    worker = start_worker(env=env, log_dir=log_dir)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(worker)
        stop_process(web)


@pytest.fixture
def stack(stack_base_url: str, settings) -> Stack:
    """An organization with two OUs, an org admin (Owner of both) and a Viewer of both, on the
    module's running web server and worker."""
    # The servers run the production settings, which do not know the tests' fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    org = make_org("Acme Marketing")
    units = (make_unit(org, "North America"), make_unit(org, "Europe"))
    admin = make_member(org, email="admin@acme.example", password=PASSWORD, role="admin")
    viewer = make_member(org, email="viewer@acme.example", password=PASSWORD)
    for unit in units:
        make_membership(unit, admin, role="Owner")
        make_membership(unit, viewer, role="Viewer")
    return Stack(
        base_url=stack_base_url,
        org_name=org.name,
        ou_names=(units[0].name, units[1].name),
        admin_email=admin.email,
        viewer_email=viewer.email,
    )


@pytest.fixture(autouse=True)
def _empty_redis():
    """Every test starts with an empty Redis, as elsewhere, but for the queue bindings the
    module's servers declared once at their start: without them Celery drops the tasks they
    send."""
    breaker.reset()
    redis = get_redis()
    stale = [key for key in redis.scan_iter() if not key.startswith(b"_kombu.binding.")]
    if stale:
        redis.delete(*stale)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(apt-get install -y chromium); .ci/run installs it."
        )
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # (factories) run between its calls, never inside the loop.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A fresh browser context (no cookies, no storage) on the stack; fails the test on a
    script error or a Content-Security-Policy violation."""
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not problems, problems


def sign_in(page: Page, *, email: str, password: str = PASSWORD) -> None:
    page.goto("/app/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("active-ou")).not_to_be_empty()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def wait_until_loaded(page: Page) -> None:
    """The page shows its heading and every query of it has answered."""
    expect(page.get_by_role("heading").first).to_be_visible()
    expect(page.locator(LOADING)).to_have_count(0)
