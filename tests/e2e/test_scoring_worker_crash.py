"""A real Celery worker killed with SIGKILL in the middle of scoring: after a restart every
event is scored exactly once, as the reference scorer scores it."""

import os
import random
import signal
import time

import pytest

from scoring.models import EngagementEvent, EventScore
from scoring.services.leads import lead_create
from scoring.services.pipeline import ring_doorbell
from tests.e2e.processes import start_worker, stop_process
from tests.factories import make_unit
from tests.scoring.scoring_helpers import (
    expected_from_reference,
    new_event,
    store_config,
    stored_scoring,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = {
    "rulesets": [
        {"rules": [("a", 5, None, True), ("b", -2, None, True), ("c", 3, None, True)],
         "active": True},
        {"rules": [("a", 1, None, True), ("c", 10, None, True)], "active": True},
    ],
    "attribute_filters": [],
    "inorganic_filters": [("c", 2, 5, True)],
    "surge": ("standard", [], "2"),
    "idle_minutes": 30,
    "event_types": [],
    "allow_negative": False,
}  # fmt: skip
EVENTS = 6000
LEADS = 60


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


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
    pending = EngagementEvent.objects.filter(unit=unit, status="pending")

    worker = start_worker(env=server_env, log_dir=tmp_path)
    try:
        ring_doorbell()
        assert wait_until(lambda: pending.count() < EVENTS, timeout=60), "worker never started"
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
        assert wait_until(lambda: not pending.exists(), timeout=120)
    finally:
        stop_process(worker)

    expected_rows = 0
    for lead in leads:
        stored = stored_scoring(lead)
        expected = expected_from_reference(lead, config)
        assert stored == expected
        expected_rows += len(expected[1])
    assert EventScore.objects.filter(unit=unit).count() == expected_rows
