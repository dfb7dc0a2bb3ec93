"""Latency of `GET /leads` sorted by score with filters over 1,000,000 leads, with the raw
SQL time of the same queries measured in the same run as the ceiling.

The stack: embedded PostgreSQL and Redis and gunicorn (2 workers x 2 threads), as in
production. `--leads` leads of the bench OU (and a tenth as many in a second OU, so that
nothing can count on being alone) are written straight into the database with INSERT ...
SELECT generate_series (seeding is not what is measured): 90% have a primary score (skewed
low, 0..300), half a score in a second ruleset, 95% a scoring state (last event type, last
activity in the last 120 days), 10% an account; 0.5% are merged away.

Each run sends `--requests` sequential requests (one client, urllib) cycling through a fixed
list of filter combinations and pages, sorted by score; prints p50/p95/p99 of each run and
the median of the runs. The ceiling replays the SQL those requests ran (captured once per
combination with Django's query log) straight on a database connection.

`--tuned` restarts PostgreSQL with settings a production server of this size would have
(TUNED_SETTINGS: a buffer cache that holds the working set, random reads priced for SSDs)
before measuring; without it the embedded server's defaults (128 MB of shared buffers,
random_page_cost 4) are kept.

Run: `python bench/leads_list.py [--leads 1000000] [--requests 300] [--runs 3] [--tuned]`.
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import basic_authorization, running_stack_with_django

SEED_SQL = [
    "SELECT setseed(0.42)",
    """
    INSERT INTO scoring_account (account_id, org_id, unit_id, name, metadata, created_at,
                                 updated_at)
    SELECT 'acct-' || n, %(org)s, %(unit)s, 'Account ' || n, '{}'::jsonb, now(), now()
    FROM generate_series(1, 1000) AS n
    """,
    """
    INSERT INTO scoring_lead (lead_id, org_id, unit_id, account_id, metadata, created_at,
                              updated_at)
    SELECT 'lead-' || n, %(org)s, %(unit)s,
           CASE WHEN n %% 10 = 3 THEN first_account.id + (n / 10) %% 1000 END,
           jsonb_build_object('email', 'lead' || n || '@example.com',
                              'plan', (ARRAY['free', 'pro', 'team'])[1 + n %% 3]),
           now() - make_interval(secs => (n * 37) %% (400 * 86400)), now()
    FROM generate_series(1, %(leads)s) AS n,
         (SELECT min(id) AS id FROM scoring_account WHERE unit_id = %(unit)s) AS first_account
    """,
    """
    INSERT INTO scoring_leadscore (lead_id, ruleset_id, unit_id, score, updated_at)
    SELECT id, %(primary)s, %(unit)s, floor(300 * power(random(), 3))::int, now()
    FROM scoring_lead WHERE unit_id = %(unit)s AND id %% 10 <> 0
    """,
    """
    INSERT INTO scoring_leadscore (lead_id, ruleset_id, unit_id, score, updated_at)
    SELECT id, %(secondary)s, %(unit)s, floor(100 * random())::int, now()
    FROM scoring_lead WHERE unit_id = %(unit)s AND id %% 2 = 0
    """,
    """
    INSERT INTO scoring_leadscoringstate (lead_id, unit_id, state, last_event_at,
                                          last_activity_at, last_event_type, updated_at)
    SELECT id, %(unit)s, '{}'::jsonb, at, at,
           CASE WHEN r < 0.40 THEN 'page_view' WHEN r < 0.65 THEN 'email_open'
                WHEN r < 0.80 THEN 'email_click' WHEN r < 0.90 THEN 'form_submit'
                WHEN r < 0.98 THEN 'webinar_attended' ELSE 'demo_request' END,
           now()
    FROM (SELECT id, random() AS r,
                 now() - make_interval(secs => floor(random() * 120 * 86400)) AS at
          FROM scoring_lead WHERE unit_id = %(unit)s AND id %% 20 <> 0) AS lead
    """,
    """
    UPDATE scoring_lead SET merged_into_id = (SELECT min(id) FROM scoring_lead
                                              WHERE unit_id = %(unit)s)
    WHERE unit_id = %(unit)s AND id %% 200 = 7
    """,
    """
    DELETE FROM scoring_leadscore
    WHERE lead_id IN (SELECT id FROM scoring_lead WHERE unit_id = %(unit)s
                      AND merged_into_id IS NOT NULL)
    """,
    """
    INSERT INTO scoring_leaddeletion (org_id, unit_id, lead_id, status, progress_done, error,
                                      attempts, created_at)
    SELECT %(org)s, %(unit)s, 'lead-' || (n * 9973), 'pending', 0, '', 0, now()
    FROM generate_series(1, 20) AS n
    """,
]


def seed(unit, *, leads: int) -> None:
    """Leads, scores and scoring states of `unit` (see the module docstring)."""
    from django.db import connection

    from scoring.models import Ruleset

    primary = Ruleset.objects.create(org_id=unit.org_id, unit=unit, name="main", is_primary=True)
    secondary = Ruleset.objects.create(org_id=unit.org_id, unit=unit, name="second")
    params = {
        "org": unit.org_id,
        "unit": unit.id,
        "leads": leads,
        "primary": primary.id,
        "secondary": secondary.id,
    }
    with connection.cursor() as cursor:
        for statement in SEED_SQL:
            cursor.execute(statement, params)
        for table in ("lead", "leadscore", "leadscoringstate", "account", "leaddeletion"):
            cursor.execute(f"VACUUM ANALYZE scoring_{table}")


# Filter combinations the requests cycle through (all sorted by score, highest first), and
# the pages they ask for: mostly the first pages, as people and syncs read them.
QUERIES = [
    {},
    {"min_score": 50},
    {"min_score": 10, "max_score": 100},
    {"max_score": 5},
    {"event_type": "demo_request"},
    {"event_type": "form_submit", "min_score": 20},
    {"last_active": "7d"},
    {"last_active": "30d", "min_score": 20},
    {"event_type": "demo_request", "last_active": "7d"},
    {"range": "last_30d"},
    {"range": "last_7d", "min_score": 1},
    {"range": "last_90d", "event_type": "email_open", "last_active": "30d"},
]
PAGES = [1, 1, 1, 2, 3, 5]


def request_urls(base_url: str, count: int) -> list[str]:
    urls = []
    for n in range(count):
        params = {**QUERIES[n % len(QUERIES)], "sort": "-score", "limit": 50}
        params["page"] = PAGES[(n // len(QUERIES)) % len(PAGES)]
        urls.append(f"{base_url}/api/v1/leads?{urllib.parse.urlencode(params)}")
    return urls


def timed_get(url: str, auth: str) -> float:
    request = urllib.request.Request(url, headers={"Authorization": auth})  # noqa: S310
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - 127.0.0.1
        body = json.loads(response.read())
    elapsed = time.perf_counter() - started
    assert len(body["leads"]) == 50 or body["total"] < 50 * 5, (url, body["total"])
    return elapsed


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def captured_sql(unit, count: int) -> list[tuple[str, tuple]]:
    """The SQL the list ran for the first `count` requests, captured in this process."""
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from scoring.selectors.events import time_window
    from scoring.selectors.lead_list import LeadListFilters, leads_list

    statements = []
    now = timezone.now()
    for n in range(count):
        params = QUERIES[n % len(QUERIES)]
        page = PAGES[(n // len(QUERIES)) % len(PAGES)]
        days = {"7d": 7, "30d": 30}.get(params.get("last_active", ""))
        filters = LeadListFilters(
            created=time_window(params.get("range", "all"), now=now),
            last_event_type=params.get("event_type"),
            active_since=now - datetime.timedelta(days=days) if days else None,
            min_score=params.get("min_score"),
            max_score=params.get("max_score"),
        )
        with CaptureQueriesContext(connection) as queries:
            leads_list(ou=unit, filters=filters, sort="-score", offset=(page - 1) * 50, limit=50)
        statements.append([query["sql"] for query in queries.captured_queries])
    return statements


def raw_sql_seconds(statements: list[list[str]]) -> list[float]:
    """Each request's statements replayed on one connection: the database's share."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for request_statements in statements:
            started = time.perf_counter()
            for sql in request_statements:
                cursor.execute(sql)
                if cursor.description is not None:  # not BEGIN, SET or COMMIT
                    cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return timings


TUNED_SETTINGS = {
    "shared_buffers": "'2GB'",
    "effective_cache_size": "'12GB'",
    "random_page_cost": "1.1",
    "work_mem": "'16MB'",
}


def restart_postgres_tuned() -> None:
    """ALTER SYSTEM the TUNED_SETTINGS and restart the embedded server (pg_ctl keeps its
    start options); the web workers reconnect on their next request."""
    from django.db import connection
    from pgserver import pg_ctl

    with connection.cursor() as cursor:
        for name, value in TUNED_SETTINGS.items():
            cursor.execute(f"ALTER SYSTEM SET {name} = {value}")
        cursor.execute("SHOW data_directory")
        (pgdata,) = cursor.fetchone()
    connection.close()
    user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs the server as this user
    log = Path(pgdata) / "restart.log"
    pg_ctl(["-w", "-m", "fast", "-l", str(log), "restart"], pgdata=Path(pgdata), user=user,
           timeout=120)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tuned", action="store_true", help="see TUNED_SETTINGS")
    args = parser.parse_args()

    with running_stack_with_django(web_workers=2, web_threads=2, celery_worker=False) as stack:
        from orgunits.services import org_unit_create

        started = time.perf_counter()
        neighbour = org_unit_create(org=stack.unit.org, name="Neighbour")
        seed(neighbour, leads=args.leads // 10)
        seed(stack.unit, leads=args.leads)
        print(f"seeded {args.leads:,} leads (+{args.leads // 10:,} in another OU) in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip

        if args.tuned:
            restart_postgres_tuned()
            print("PostgreSQL restarted with " + ", ".join(f"{k}={v}" for k, v in
                                                          TUNED_SETTINGS.items()))  # fmt: skip
        auth = basic_authorization(stack.credential)
        urls = request_urls(stack.base_url, args.requests)
        # Warm-up: connections, caches (after a restart, one pass over every request, as a
        # server in service has its working set cached).
        for url in urls if args.tuned else urls[: len(QUERIES)]:
            timed_get(url, auth)
        runs = []
        by_url: dict[str, list[float]] = {}
        for run in range(1, args.runs + 1):
            samples = [timed_get(url, auth) for url in urls]
            for url, sample in zip(urls, samples, strict=True):
                by_url.setdefault(url.split("?", 1)[1], []).append(sample)
            runs.append(percentiles(samples))
            p50, p95, p99 = runs[-1]
            print(f"run {run}: {len(samples)} requests  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                  f"p99 {p99:6.1f} ms")  # fmt: skip
        statements = captured_sql(stack.unit, args.requests)
        ceilings = [percentiles(raw_sql_seconds(statements)) for _ in range(args.runs)]

    slowest = sorted(by_url.items(), key=lambda item: -statistics.median(item[1]))[:5]
    print("slowest requests (median):")
    for query, samples in slowest:
        print(f"  {statistics.median(samples) * 1000:6.1f} ms  {urllib.parse.unquote(query)}")
    p50, p95, p99 = (statistics.median(run[i] for run in runs) for i in range(3))
    c50, c95, c99 = (statistics.median(run[i] for run in ceilings) for i in range(3))
    print(f"GET /leads sorted by score (median of {args.runs}):  p50 {p50:6.1f} ms  "
          f"p95 {p95:6.1f} ms  p99 {p99:6.1f} ms   (target p95 <= 100 ms)")  # fmt: skip
    print(f"ceiling: the same SQL, raw:              p50 {c50:6.1f} ms  p95 {c95:6.1f} ms  "
          f"p99 {c99:6.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
