"""The folder where every web and worker process writes its Prometheus metrics.

prometheus_client picks its storage when first imported, so `configure_metrics_dir()` must
run before any metric exists; `/metrics` sums the files of all processes found there.
"""

import os
import shutil
from pathlib import Path

from leadvibe.embedded import default_data_dir

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"


def configure_metrics_dir() -> Path:
    directory = Path(os.environ.setdefault(ENV_VAR, str(default_data_dir().resolve() / "metrics")))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def reset_metrics_dir() -> None:
    """Start the figures from zero: files of processes from an earlier run would be summed in."""
    directory = configure_metrics_dir()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
