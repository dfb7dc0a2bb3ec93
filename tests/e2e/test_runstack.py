"""The dev runner on a fresh data folder: it starts everything, and Ctrl-C stops everything."""

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


def _wait_for_banner(log_path, runner, timeout=180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text()
        if re.search(r"Ingest an event:\n.*\n.*/api/v1/events\n", text):
            return text
        if runner.poll() is not None:
            raise AssertionError(f"runstack exited early:\n{text[-3000:]}")
        time.sleep(0.5)
    raise AssertionError("runstack did not print its banner in time")


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
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
        try:
            banner = _wait_for_banner(log_path, runner)
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
