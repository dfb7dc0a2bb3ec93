"""Prometheus metrics of the product (the spec's names).

Every process writes to PROMETHEUS_MULTIPROC_DIR and `/metrics` sums the files, so the figures
are right with several web and worker processes.
"""

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

EVENTS_INGESTED = Counter("events_ingested", "Total number of events ingested (accepted).")

EVENT_TO_SLACK_LATENCY = Histogram(
    "event_to_slack_latency_seconds",
    "Latency in seconds from event ingestion to Slack notification.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

HTTP_REQUESTS = Counter(
    "http_requests",
    "Total number of HTTP requests by status code and method.",
    ["code", "method"],
)

REDIS_UNAVAILABLE = Counter(
    "redis_unavailable",
    "Operations that went on without Redis because it could not be reached.",
    ["operation"],
)

AUDIT_LOG_DEAD_LETTERED = Counter(
    "audit_log_dead_lettered",
    "Audit log records set aside in the dead-letter list because they could not be stored.",
    ["reason"],
)

TASK_RUNS = Counter("task_runs", "Celery task runs by task name and outcome.", ["task", "outcome"])

TASK_DURATION = Histogram(
    "task_duration_seconds",
    "Duration of Celery task runs by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3600),
)


# The queue is the set of pending events in Postgres, so its depth is read at scrape time
# rather than kept as a gauge that each worker process would report differently. The app that
# owns events registers the reader; the platform does not import it.
_queue_depth_reader: Callable[[], int] = lambda: 0  # noqa: E731


def register_queue_depth_reader(reader: Callable[[], int]) -> None:
    global _queue_depth_reader
    _queue_depth_reader = reader


class QueueDepthCollector:
    def collect(self):
        yield GaugeMetricFamily(
            "queue_depth", "Current depth of the async processing queue.", _queue_depth_reader()
        )


def render_latest() -> tuple[bytes, str]:
    """Exposition text of every process's metrics plus the scrape-time gauges."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(QueueDepthCollector())
    return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4
