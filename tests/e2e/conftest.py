import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from leadvibe import embedded
from tests.e2e.processes import database_url
from tests.scoring.conftest import client  # noqa: F401 - the same fixture


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def server_environment(*, metrics_dir: Path) -> dict:
    """Environment for web/worker processes that use this test run's database and Redis."""
    metrics_dir.mkdir()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadvibe.settings.base",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": "e2e-test-secret-key",
        embedded.EMBEDDED_FLAG: "1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "WEB_THREADS": "2",
    }


@pytest.fixture
def server_env(django_db_setup, tmp_path) -> dict:
    return server_environment(metrics_dir=tmp_path / "metrics")
