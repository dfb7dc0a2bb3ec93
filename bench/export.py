"""Memory and throughput of `GET /events/export` over 1,000,000 events, with COPY TO of the
same rows measured in the same run as the ceiling.

The stack: embedded PostgreSQL and Redis and gunicorn (2 workers x 2 threads), as in
production. `--events` events of `--leads` leads are written straight into the database with
one INSERT ... SELECT (seeding is not what is measured). Each run streams the whole export
through HTTP from this process (reading 64 KB at a time, counting rows), while a sampler reads
the resident memory of every gunicorn worker every 50 ms; at the end the kernel's high-water
mark (VmHWM) of each worker is read as well. Prints rows/s of each run, their median, the
ratio to COPY, and the workers' peak RSS.

Run: `python bench/export.py [--events 1000000] [--runs 3]`.
"""

import argparse
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import SEED_LEADS_SQL, basic_authorization, running_stack_with_django

EXPORT_HEADER = "id,lead_id,event_type,timestamp,channel,source,metadata"
SEED_EVENTS_SQL = """
INSERT INTO scoring_engagementevent
    (org_id, unit_id, lead_id, event_type, occurred_at, received_at, channel, metadata,
     source, status)
SELECT %(org)s, %(unit)s, lead.id,
       (ARRAY['page_view', 'email_open', 'email_click', 'webinar_attended'])[1 + n %% 4],
       now() - make_interval(secs => n), now(), 'web',
       jsonb_build_object(
           'channel', 'web', 'path', '/docs/' || n %% 500, 'campaign', 'c' || n %% 7
       ),
       'api', 'processed'
FROM generate_series(1, %(events)s) AS n
JOIN scoring_lead AS lead
  ON lead.unit_id = %(unit)s AND lead.lead_id = 'lead-' || (1 + n %% %(leads)s)
"""


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_kb = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.05):
            self.peak_kb = max(self.peak_kb, *(memory_kb(pid, "VmRSS") for pid in self.pids))


def stream_export(url: str, auth: str) -> tuple[int, float, str]:
    request = urllib.request.Request(url, headers={"Authorization": auth})  # noqa: S310
    started = time.perf_counter()
    newlines = 0
    first_line = b""
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - 127.0.0.1
        while chunk := response.read(65536):
            if not first_line:
                first_line = chunk.split(b"\r\n", 1)[0].split(b"\n", 1)[0]
            newlines += chunk.count(b"\n")
    # Metadata is JSON in a quoted CSV field; the seeded values hold no newline, so every
    # line is one row.
    return newlines - 1, time.perf_counter() - started, first_line.decode()


def copy_rows_per_second(unit_id: str) -> tuple[int, float]:
    from django.db import connection

    query = (
        "COPY (SELECT 'ev_' || e.seq, l.lead_id, e.event_type, e.occurred_at, e.channel, "
        "e.source, e.metadata FROM scoring_engagementevent e JOIN scoring_lead l "
        "ON l.id = e.lead_id WHERE e.unit_id = %s "
        "ORDER BY e.occurred_at DESC, e.seq DESC) TO STDOUT WITH (FORMAT csv)"
    )
    rows = 0
    with connection.cursor() as cursor:
        started = time.perf_counter()
        with cursor.connection.cursor().copy(query, (unit_id,)) as copy:
            for block in copy:
                rows += bytes(block).count(b"\n")
        return rows, rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with running_stack_with_django(web_workers=2, web_threads=2, celery_worker=False) as stack:
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            params = {"org": stack.unit.org_id, "unit": stack.unit.id, "leads": args.leads}
            cursor.execute(SEED_LEADS_SQL, params)
            cursor.execute(SEED_EVENTS_SQL, {**params, "events": args.events})
            cursor.execute("VACUUM ANALYZE scoring_engagementevent")
            cursor.execute("VACUUM ANALYZE scoring_lead")
        print(f"seeded {args.events:,} events of {args.leads:,} leads in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip

        auth = basic_authorization(stack.credential)
        pids = worker_pids(stack.processes[0].pid)
        idle_kb = max(memory_kb(pid, "VmRSS") for pid in pids)
        sampler = RssSampler(pids)
        sampler.start()
        rates = []
        for run in range(1, args.runs + 1):
            rows, seconds, header = stream_export(f"{stack.base_url}/api/v1/events/export", auth)
            assert header == EXPORT_HEADER, header
            assert rows == args.events, f"exported {rows:,} rows, expected {args.events:,}"
            rates.append(rows / seconds)
            print(f"run {run}: {rows:,} rows in {seconds:.1f} s = {rates[-1]:,.0f} rows/s")
        sampler.stopping.set()
        sampler.join()
        high_water_kb = max(memory_kb(pid, "VmHWM") for pid in pids)
        copies = [copy_rows_per_second(stack.unit.id) for _ in range(args.runs)]
        assert all(rows == args.events for rows, _ in copies)
        copy_rps = statistics.median(rate for _, rate in copies)

    export_rps = statistics.median(rates)
    print(f"ceiling: COPY TO of the same rows     {copy_rps:12,.0f} rows/s")
    print(
        f"GET /events/export (median of {args.runs})    {export_rps:12,.0f} rows/s"
        f"  = {export_rps / copy_rps:.2f} x COPY"
    )
    print(
        f"web worker RSS: idle {idle_kb / 1024:.0f} MB, sampled peak "
        f"{sampler.peak_kb / 1024:.0f} MB, kernel high-water mark "
        f"{high_water_kb / 1024:.0f} MB   (target <= 150 MB)"
    )


if __name__ == "__main__":
    main()
