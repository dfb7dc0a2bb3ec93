"""The production web server (gunicorn, several worker processes) against real services."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from leadvibe.embedded import RedisServer, free_port
from tests.e2e.processes import json_lines, start_web, stop_process
from tests.factories import make_credential

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web_factory(server_env, tmp_path):
    started = []

    def start(env=None, workers=2):
        port = free_port()
        process = start_web(env=env or server_env, port=port, log_dir=tmp_path, workers=workers)
        started.append(process)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        stop_process(process)


def _metric(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{labels}\}} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{{{labels}}} not in /metrics"
    return float(match.group(1))


def test_metrics_sum_http_requests_over_two_worker_processes(web_factory, tmp_path):
    base = web_factory(workers=2)

    def served_by_pid():
        lines = [
            r for r in json_lines(tmp_path / "web.out") if r.get("logger") == "leadvibe.access"
        ]
        pids = {}
        for record in lines:
            if (record["method"], record["status"]) == ("GET", 200):
                pids[record["process"]] = pids.get(record["process"], 0) + 1
        return pids

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(10):
            list(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=10), range(100)))
            if len(served_by_pid()) >= 2:
                break

    pids = served_by_pid()
    assert len(pids) == 2, f"requests did not reach both workers: {pids}"
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    assert _metric(metrics, "http_requests_total", 'code="200",method="GET"') == sum(pids.values())
    for name in ("events_ingested_total", "queue_depth", "event_to_slack_latency_seconds_count"):
        assert re.search(rf"^{name}(\{{.*\}})? ", metrics, re.MULTILINE), name


def test_access_log_is_json_with_request_id(web_factory, tmp_path):
    base = web_factory(workers=1)
    response = requests.get(f"{base}/api/v1/nope", headers={"X-Request-ID": "trace-42"}, timeout=10)
    assert response.status_code == 404
    assert response.json() == {"status": 404, "error": "Not Found"}
    records = [r for r in json_lines(tmp_path / "web.out") if r.get("request_id") == "trace-42"]
    assert records, "no log line carries the request id"
    assert records[-1]["path"] == "/api/v1/nope"
    assert records[-1]["status"] == 404


def test_readyz_turns_503_when_the_embedded_redis_is_killed(server_env, web_factory, tmp_path):
    redis_server = RedisServer(tmp_path / "redis")
    redis_url = redis_server.attach_or_start()
    base = web_factory(env={**server_env, "REDIS_URL": redis_url}, workers=1)
    assert requests.get(f"{base}/readyz", timeout=10).status_code == 200

    redis_server.process.kill()
    redis_server.process.wait()

    response = requests.get(f"{base}/readyz", timeout=10)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "status": 503,
        "error": "Service Unavailable",
        "checks": {"postgres": "ok", "redis": "unavailable"},
    }
    output = (tmp_path / "web.out").read_text() + (tmp_path / "web.err").read_text()
    assert "Traceback" not in output


def test_oversized_body_is_refused_by_the_real_server(web_factory):
    base = web_factory(workers=1)
    response = requests.post(
        f"{base}/api/v1/auth/login",
        data=b"x" * (11 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_long_query_string_is_answered_by_the_api_in_its_error_shape(web_factory):
    """Gunicorn refused request lines over 4 KiB with a plain-text 414 the API does not
    document; the API validates the parameters itself."""
    issued = make_credential()
    base = web_factory(workers=1)
    response = requests.get(
        f"{base}/api/v1/leads/search",
        params={"q": "x" * 10_000},
        auth=(issued.credential.client_id, issued.client_secret),
        timeout=30,
    )
    assert response.status_code == 400
    assert "q" in response.json()["details"]
