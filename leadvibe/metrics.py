"""Prometheus metrics of the product (the spec's names).

Every process writes to PROMETHEUS_MULTIPROC_DIR and `/metrics` sums the files, so the figures
are right with several web and worker processes.
"""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_INGESTED = Counter("events_ingested", "Total number of events ingested (accepted).")

QUEUE_DEPTH = Gauge(
    "queue_depth",
    "Current depth of the async processing queue.",
    multiprocess_mode="mostrecent",
)

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
