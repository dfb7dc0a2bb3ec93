"""Ingestion through the production web server, processed by a real Celery worker."""

import pytest
import requests

from leadvibe.embedded import RedisServer, free_port
from scoring.models import EngagementEvent
from tests.e2e.processes import start_web, start_worker, stop_process, wait_until
from tests.factories import make_credential

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def credential():
    return make_credential()


def auth(issued):
    return (issued.credential.client_id, issued.client_secret)


def test_ingested_events_are_processed_by_the_worker(server_env, tmp_path, credential):
    port = free_port()
    web = start_web(env=server_env, port=port, log_dir=tmp_path, workers=2)
    worker = start_worker(env=server_env, log_dir=tmp_path)
    try:
        for n in range(20):
            response = requests.post(
                f"http://127.0.0.1:{port}/api/v1/events",
                json={
                    "event_type": "page_view",
                    "aliases": [{"alias_kind": "email", "raw_value": f"p{n % 4}@x.test"}],
                },
                auth=auth(credential),
                timeout=10,
            )
            assert response.status_code == 202, response.text
        assert wait_until(
            lambda: not EngagementEvent.objects.unscoped().filter(status="pending").exists()
        )
        assert EngagementEvent.objects.unscoped().filter(status="processed").count() == 20
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert "events_ingested_total 20.0" in metrics
        assert "queue_depth 0.0" in metrics
    finally:
        stop_process(worker)
        stop_process(web)


def test_with_redis_stopped_ingest_still_answers_202_and_stores_pending(
    server_env, tmp_path, credential
):
    redis_server = RedisServer(tmp_path / "redis")
    env = {**server_env, "REDIS_URL": redis_server.attach_or_start()}
    port = free_port()
    web = start_web(env=env, port=port, log_dir=tmp_path, workers=1)
    try:
        redis_server.process.kill()
        redis_server.process.wait()
        response = requests.post(
            f"http://127.0.0.1:{port}/api/v1/events",
            json={"event_type": "signup", "aliases": [{"alias_kind": "cookie", "raw_value": "r"}]},
            auth=auth(credential),
            timeout=30,
        )
        assert response.status_code == 202, response.text
        event = EngagementEvent.objects.unscoped().get()
        assert (event.event_type, event.status) == ("signup", "pending")
        assert (
            "queue_depth 1.0" in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        )
    finally:
        stop_process(web)
