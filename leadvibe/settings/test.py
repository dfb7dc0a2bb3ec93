"""Test settings: throwaway embedded PostgreSQL and Redis unless the environment names servers."""

import tempfile
from pathlib import Path

from leadvibe import embedded

TEST_DATA_DIR = Path(tempfile.mkdtemp(prefix="leadvibe-test-"))
embedded.activate(TEST_DATA_DIR, ephemeral=True)

import os  # noqa: E402

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(TEST_DATA_DIR / "metrics"))

from leadvibe.settings.base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
IMPORT_STORAGE_DIR = TEST_DATA_DIR / "imports"
OUTBOUND_ALLOWED_NETWORKS = ["loopback"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Test processes share a busy machine: a 50 ms hiccup of Redis must not fail a fixture. The
# circuit-breaker tests use a closed port (refused at once), and e2e servers the base value.
REDIS_SOCKET_TIMEOUT = 0.5
