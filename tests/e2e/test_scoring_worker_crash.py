"""Real Celery workers and failures: a worker killed with SIGKILL in the middle of scoring (after
a restart every event is scored exactly once, as the reference scorer scores it) and Redis
going down (the worker's own PostgreSQL sweep still scores new events)."""

import os
import random
import signal
import time

import pytest

from leadvibe.embedded import RedisServer
from scoring.models import EngagementEvent, EventScore
from scoring.services.leads import lead_create
from scoring.services.pipeline import ring_doorbell
from tests.e2e.processes import start_worker, stop_process, wait_until
from tests.factories import make_unit
from tests.scoring.scoring_helpers import (
    config_spec,
    expected_from_reference,
    new_event,
    store_config,
    stored_scoring,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = config_spec(
    [("a", 5, None, True), ("b", -2, None, True), ("c", 3, None, True)],
    [("a", 1, None, True), ("c", 10, None, True)],
    inorganic_filters=[("c", 2, 5, True)],
)
EVENTS = 6000
LEADS = 60


def test_a_worker_killed_mid_batch_leaves_every_event_scored_once(server_env, tmp_path):
    rng = random.Random(5)
    unit = make_unit()
    config = store_config(unit, CONFIG)
    leads = [lead_create(ou=unit, lead_id=f"lead-{n}", metadata={}) for n in range(LEADS)]
    EngagementEvent.objects.bulk_create(
        [
            new_event(rng.choice(leads), rng.choice("abc"), rng.uniform(0, 5000))
            for _ in range(EVENTS)
        ],
        batch_size=2000,
    )
    pending = EngagementEvent.objects.for_ou(unit).filter(status="pending")

    worker = start_worker(env=server_env, log_dir=tmp_path)
    try:
        ring_doorbell()
        assert wait_until(lambda: pending.count() < EVENTS, timeout=60, every=0.05), (
            "worker never started"
        )
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        stop_process(worker)
    left = pending.count()
    assert 0 < left < EVENTS, "the kill should land while events remain"

    (tmp_path / "restarted").mkdir()
    worker = start_worker(env=server_env, log_dir=tmp_path / "restarted")
    try:
        time.sleep(1.1)  # the doorbell's debounce window of the first ring
        ring_doorbell()
        assert wait_until(lambda: not pending.exists(), timeout=120, every=0.05)
    finally:
        stop_process(worker)

    expected_rows = 0
    for lead in leads:
        stored = stored_scoring(lead)
        expected = expected_from_reference(lead, config)
        assert stored == expected
        expected_rows += len(expected[1])
    assert EventScore.objects.for_ou(unit).count() == expected_rows


def test_with_redis_down_the_workers_own_sweep_scores_new_events(server_env, tmp_path):
    redis_server = RedisServer(tmp_path / "redis")
    env = {
        **server_env,
        "REDIS_URL": redis_server.attach_or_start(),
        "WORKER_SWEEP_SECONDS": "1",
    }
    unit = make_unit()
    config = store_config(unit, CONFIG)
    lead = lead_create(ou=unit, lead_id="lead", metadata={})
    worker = start_worker(env=env, log_dir=tmp_path)
    try:
        time.sleep(2)  # the worker is up and has swept once
        redis_server.process.kill()
        redis_server.process.wait()
        # Stored as ingestion stores them when it cannot ring the doorbell.
        EngagementEvent.objects.bulk_create(
            [new_event(lead, "a", 0), new_event(lead, "c", 1), new_event(lead, "a", 2)]
        )
        pending = EngagementEvent.objects.for_ou(unit).filter(status="pending")
        assert wait_until(lambda: not pending.exists(), timeout=15, every=0.05)
    finally:
        stop_process(worker)
    scores, _, _ = stored_scoring(lead)
    # Standard surge: the 3rd event of the session x1.25. First ruleset a=5, c=3:
    # 5 + 3 + round(6.25) = 14; second a=1, c=10: 1 + 10 + round(1.25) = 12.
    assert sorted(scores.values()) == [12, 14]
    assert stored_scoring(lead) == expected_from_reference(lead, config)
