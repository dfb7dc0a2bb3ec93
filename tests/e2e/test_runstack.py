"""The dev runner on a fresh data folder: it starts everything, seeds the demo data set that
its workers then score, prints two `curl` lines that work as printed, and Ctrl-C stops
everything. One start serves every check: a start costs tens of seconds."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

from leadvibe import embedded
from leadvibe.embedded import free_port
from tests.e2e.processes import PROJECT_ROOT

STRIPPED = (
    "DATABASE_URL",
    "REDIS_URL",
    embedded.EMBEDDED_FLAG,
    "PROMETHEUS_MULTIPROC_DIR",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
)


def _processes_using(path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(path) in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def _wait_for_banner(log_path, runner, timeout=300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text()
        if re.search(r"Read its score:\n.*/score\n", text):
            return text
        if runner.poll() is not None:
            raise AssertionError(f"runstack exited early:\n{text[-3000:]}")
        time.sleep(0.5)
    raise AssertionError("runstack did not print its banner in time")


def _printed_curls(banner: str) -> list[str]:
    """The banner's `curl` commands as printed (the first spans two lines)."""
    return re.findall(r"^  (curl (?:.*\\\n)*.*)$", banner, re.MULTILINE)


def _run_as_printed(command: str, tmp_path) -> tuple[int, dict]:
    """Run a printed command in a shell, as a reader pastes it. curl reads a `.curlrc` from
    CURL_HOME: it adds the status code after the body without changing the command."""
    (tmp_path / ".curlrc").write_text('write-out = "\\n%{http_code}"\n')
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        env={**os.environ, "CURL_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, status = done.stdout.rsplit("\n", 1)
    return int(status), json.loads(body)


def _until(read, done, timeout: float):
    """`read()` until `done(value)`, then the value; fails with the last value at the
    deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(1)


def _assert_demo_data_is_scored(base: str, credentials: tuple[str, str], started: float) -> None:
    """Within 60 s of the banner (the stack running; migrating a fresh database before it
    takes what the machine gives it): every seeded lead scored with a level, the triggers'
    emails delivered, analytics filled."""
    api = requests.Session()
    api.auth = credentials

    def get(path: str, **params):
        response = api.get(f"{base}/api/v1/{path}", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    deadline = 60 - (time.monotonic() - started)
    leads = _until(
        lambda: get("leads", limit=500)["leads"],
        # Every lead has a level once its first event is scored; the worker goes on scoring
        # the later ones, which lift the hottest leads: wait for the levels they reach too.
        lambda leads: (
            len(leads) == 300
            and all(lead["engagement_level"] for lead in leads)
            and {lead["engagement_level"] for lead in leads} >= {"Cold", "Warm", "Hot", "Very Hot"}
        ),
        deadline,
    )
    assert len(leads) == 300
    assert all(lead["engagement_level"] for lead in leads)
    assert {lead["engagement_level"] for lead in leads} >= {"Cold", "Warm", "Hot", "Very Hot"}
    deliveries = _until(
        lambda: get("triggers/deliveries"),
        lambda rows: any(row["status"] == "delivered" for row in rows),
        max(5, 60 - (time.monotonic() - started)),
    )
    assert {row["channel"] for row in deliveries} == {"email"}
    assert any(row["status"] == "delivered" for row in deliveries)
    totals = get("analytics")["totals"]
    assert totals["leads"] == 300
    assert totals["events"] > 2000
    assert totals["suppressed_events"] > 0  # the bots


@pytest.mark.django_db
def test_runstack_starts_the_stack_and_ctrl_c_leaves_nothing_behind(tmp_path):
    data_dir = tmp_path / "data"
    port, stream_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if key not in STRIPPED}
    env["LEADVIBE_DATA_DIR"] = str(data_dir)
    log_path = tmp_path / "runstack.log"
    with open(log_path, "wb") as log:
        runner = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runstack",
                "--port",
                str(port),
                "--stream-port",
                str(stream_port),
                "--demo",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
        try:
            banner = _wait_for_banner(log_path, runner)
            running_since = time.monotonic()
            started = psutil.Process(runner.pid).children(recursive=True)
            started += _processes_using(data_dir)
            names = " ".join(" ".join(p.cmdline()) for p in started)
            for expected in (
                "gunicorn",
                "gunicorn_stream_conf.py",
                "celery -A leadvibe worker",
                "celery -A leadvibe beat",
                "redis-server",
                "postgres",
            ):
                assert expected in names

            base = f"http://127.0.0.1:{port}"
            assert f"{base}/api/v1/docs" in banner
            assert f"{base}/metrics" in banner
            assert "demo admin    admin@leadvibe.local  password: " in banner
            assert "curl -u 'lv_" in banner
            assert requests.get(f"{base}/readyz", timeout=10).json()["status"] == "ok"
            assert requests.get(f"{base}/api/v1/docs", timeout=10).status_code == 200
            stream = f"http://127.0.0.1:{stream_port}"
            assert f"{stream}/api/v1/stream?ouId=" in banner
            assert requests.get(f"{stream}/api/v1/stream", timeout=10).status_code == 401

            client_id, secret = re.search(
                r"API client    id: (\S+)  secret: (\S+)", banner
            ).groups()
            _assert_demo_data_is_scored(base, (client_id, secret), running_since)
            ingest, read_score = _printed_curls(banner)
            status, ingested = _run_as_printed(ingest, tmp_path)
            assert (status, ingested["lead_id"]) == (202, "demo-001")
            status, score = _run_as_printed(read_score, tmp_path)
            assert (status, score["lead_id"]) == (200, "demo-001")

            os.killpg(runner.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            assert runner.wait(60) == 0
        finally:
            if runner.poll() is None:
                os.killpg(runner.pid, signal.SIGKILL)
                for leftover in _processes_using(data_dir):
                    leftover.kill()

    _gone, alive = psutil.wait_procs(started, timeout=10)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    assert _processes_using(data_dir) == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
