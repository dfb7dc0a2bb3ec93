"""Test settings: throwaway embedded PostgreSQL and Redis unless the environment names servers."""

import tempfile
from pathlib import Path

from leadvibe import embedded

TEST_DATA_DIR = Path(tempfile.mkdtemp(prefix="leadvibe-test-"))
embedded.activate(TEST_DATA_DIR, ephemeral=True)

import os  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(TEST_DATA_DIR / "metrics"))

# pytest-xdist workers inherit the controller's environment, so its Redis and metrics directory:
# each worker takes a Redis database and a metrics directory of its own (pytest-django already
# gives each worker a PostgreSQL database of its own).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ...
if XDIST_WORKER:
    worker_redis = urlsplit(os.environ["REDIS_URL"])._replace(
        path=f"/{int(XDIST_WORKER.removeprefix('gw')) + 1}"
    )
    os.environ["REDIS_URL"] = worker_redis.geturl()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(TEST_DATA_DIR / "metrics")

from leadvibe.settings.base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
IMPORT_STORAGE_DIR = TEST_DATA_DIR / "imports"
OUTBOUND_ALLOWED_NETWORKS = ["loopback"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Test processes share a busy machine: a 50 ms hiccup of Redis must not fail a fixture. The
# circuit-breaker tests use a closed port (refused at once), and e2e servers the base value.
REDIS_SOCKET_TIMEOUT = 0.5
