"""Segments over 1,000,000 scored leads: membership reads, a recompute, previews, and what 20
active segments cost the scoring pipeline, each with its ceiling measured in the same run.

The stack: embedded PostgreSQL and Redis and gunicorn (2 workers x 2 threads). `--leads`
leads are seeded as bench/leads_list.py seeds them (metadata `email` and `plan`, 90% with a
primary score, scoring states, 0.5% merged), plus a profile score for 80% of them and a
processed event with metadata (`topic`, `campaign`) for every fifth. SEGMENTS: 20 active
segments of 1-4 rules of every type but the account ones; their membership and match flags
are written with one INSERT ... SELECT each (seeding is not measured).

- reads: `GET /segments/{id}/count` and `GET /segments/{id}/leads` pages 1-5 (limit 50) of
  every segment, one client in sequence; ceiling: the SQL those reads ran, replayed raw;
- recompute: one segment deactivated then activated, its recompute job run in this process
  over the OU; ceiling: one INSERT ... SELECT of the same members into the membership table;
- preview: `POST /segments/preview` of metadata and level rule sets; ceiling: its SQL raw;
- scoring: bench/scoring.py's setup (2 workers, 2 rulesets x 50 rules, 100,000 leads) in a
  second OU, alternated without segments and with the same 20 segments active.

Each figure is the median of `--runs` rounds. Run: `python bench/segments.py [--leads
1000000] [--runs 3] [--events 40000] [--skip reads|recompute|preview|scoring]`.
"""

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.leads_list import percentiles, raw_sql_seconds
from bench.leads_list import seed as seed_scored_leads
from bench.scoring import configure, seed_leads
from bench.stack import basic_authorization, running_stack_with_django
from bench.triggers import alternated_throughput

SEED_SQL = [
    """
    INSERT INTO scoring_leadprofilescore (lead_id, ruleset_id, unit_id, score, updated_at)
    SELECT id, %(profile)s, %(unit)s, floor(100 * random())::int, now()
    FROM scoring_lead WHERE unit_id = %(unit)s AND id %% 5 <> 1 AND merged_into_id IS NULL
    """,
    """
    INSERT INTO scoring_engagementevent (org_id, unit_id, lead_id, event_type, occurred_at,
                                         received_at, channel, metadata, source, status)
    SELECT %(org)s, %(unit)s, id, (ARRAY['webinar_attended', 'page_view'])[1 + id %% 2],
           now() - interval '1 day', now() - interval '1 day', 'web',
           jsonb_build_object('topic', (ARRAY['fintech', 'health', 'retail'])[1 + id %% 3],
                              'campaign', (ARRAY['spring', 'fall'])[1 + id %% 7 / 4]),
           'api', 'processed'
    FROM scoring_lead WHERE unit_id = %(unit)s AND id %% 5 = 0
    """,
]


def rule(rule_type, operator, value="", field_name="", *, group=0, op="AND", event_type=""):
    return {"rule_type": rule_type, "operator": operator, "value": value,
            "field_name": field_name, "logic_group": group, "logic_op": op,
            "event_type": event_type}  # fmt: skip


ENGAGEMENT, PROFILE, SCORE = "engagement_level", "profile_level", "engagement_score"
LEAD, EVENT = "lead_metadata", "event_metadata"
SEGMENTS = {
    "Hot": [rule(ENGAGEMENT, "equals", "Hot")],
    "Very hot": [rule(ENGAGEMENT, "equals", "Very Hot")],
    "Pro plan": [rule(LEAD, "equals", "pro", "plan")],
    "Pro and warm": [rule(LEAD, "equals", "pro", "plan"), rule(ENGAGEMENT, "equals", "Warm")],
    "Score 100+": [rule(SCORE, "greater_than_or_equal", "100")],
    "Free, barely engaged": [rule(SCORE, "less_than", "10"), rule(LEAD, "equals", "free", "plan")],
    "Strong fit": [rule(PROFILE, "equals", "Very Hot")],
    "Strong fit and warm": [
        rule(PROFILE, "equals", "Very Hot"), rule(ENGAGEMENT, "equals", "Warm"),
    ],
    "Fintech webinar": [rule(EVENT, "equals", "fintech", "topic", event_type="webinar_attended")],
    "(Spring or pro) and 50+": [
        rule(EVENT, "equals", "spring", "campaign", op="OR"),
        rule(LEAD, "equals", "pro", "plan", op="OR"),
        rule(SCORE, "greater_than", "50", group=1),
    ],
    "Team at example.com": [
        rule(LEAD, "ends_with", "example.com", "email"), rule(LEAD, "equals", "team", "plan"),
    ],
    "Lead 12x": [rule(LEAD, "contains", "lead12", "email")],
    "Paying, hot fit": [rule(LEAD, "not_equals", "free", "plan"), rule(PROFILE, "equals", "Hot")],
    "Not cold": [rule(ENGAGEMENT, "not_equals", "Cold")],
    "Any plan, 200+": [rule(LEAD, "is_not_empty", "", "plan"), rule(SCORE, "greater_than", "200")],
    "No company, hot": [rule(LEAD, "is_empty", "", "company"), rule(ENGAGEMENT, "equals", "Hot")],
    "Fall campaign": [rule(EVENT, "equals", "fall", "campaign")],
    "Team, engaged, fit": [
        rule(LEAD, "equals", "team", "plan"), rule(SCORE, "greater_than_or_equal", "20"),
        rule(PROFILE, "not_equals", "Cold"), rule(LEAD, "starts_with", "lead2", "email"),
    ],
    "Warm fit or very hot": [
        rule(PROFILE, "equals", "Warm", op="OR"), rule(ENGAGEMENT, "equals", "Very Hot", op="OR"),
    ],
    "Never scored": [rule(SCORE, "equals", "0")],
}  # fmt: skip
RECOMPUTED = "(Spring or pro) and 50+"
PREVIEWS = [
    [rule(LEAD, "equals", "pro", "plan")],
    [rule(ENGAGEMENT, "equals", "Hot")],
    [rule(LEAD, "equals", "team", "plan"), rule(PROFILE, "equals", "Warm")],
    [rule(LEAD, "contains", "lead12", "email"), rule(ENGAGEMENT, "not_equals", "Cold")],
    [rule(PROFILE, "equals", "Very Hot", op="OR"), rule(LEAD, "equals", "free", "plan", op="OR")],
]


def seed(unit, *, leads: int) -> None:
    from django.db import connection

    from scoring.models import ProfileRuleset

    seed_scored_leads(unit, leads=leads)
    profile = ProfileRuleset.objects.create(
        org_id=unit.org_id, unit=unit, name="fit", is_primary=True
    )
    params = {"org": unit.org_id, "unit": unit.id, "profile": profile.id}
    with connection.cursor() as cursor:
        for statement in SEED_SQL:
            cursor.execute(statement, params)
        for table in ("scoring_leadprofilescore", "scoring_engagementevent"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def create_segments(unit) -> dict:
    """SEGMENTS, active, by name; their recompute jobs are left undone (memberships_fill)."""
    from segments.services.config import segment_create, segment_rule_create

    created = {}
    for name, rules in SEGMENTS.items():
        segment = segment_create(ou=unit, member=None, name=name)
        for index, fields in enumerate(rules):
            segment_rule_create(
                ou=unit, member=None, segment_id=segment.public_id, order_index=index, **fields
            )
        created[name] = segment
    return created


def membership_insert_seconds(unit, segment) -> float:
    """One INSERT ... SELECT of the segment's members (SQL back end, match flags as stored)."""
    from django.db import connection

    from scoring.models import LeadScore
    from segments.models import SegmentMembership
    from segments.selectors import active_rule_specs, members_sql, segment_context

    rules = active_rule_specs(unit_id=unit.pk, segment_pks=[segment.pk])[segment.pk]
    context = segment_context(unit_id=unit.pk)
    members, params = members_sql(context=context, rules=rules)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SegmentMembership._meta.db_table} "  # noqa: S608
            "(segment_id, lead_id, unit_id, entered_at, score) "
            f"SELECT %s, member.id, %s, now(), COALESCE(es.score, 0) FROM ({members}) AS member "
            f"LEFT JOIN {LeadScore._meta.db_table} es "
            "ON es.lead_id = member.id AND es.ruleset_id = %s",
            [segment.pk, unit.pk, *params, context.engagement_ruleset],
        )
    return time.perf_counter() - started


def memberships_fill(unit, segments: dict) -> None:
    """Match flags and memberships of every segment, set-based; the recompute jobs their
    creation enqueued are marked done (no worker runs them)."""
    from django.db import connection

    from segments.models import SegmentMemberCount, SegmentMembership, SegmentRecompute
    from segments.rules import EVENT_METADATA
    from segments.selectors import active_rule_specs
    from segments.services.membership import event_matches_rebuild

    rules = active_rule_specs(unit_id=unit.pk, segment_pks=[s.pk for s in segments.values()])
    event_rules = [r for specs in rules.values() for r in specs if r.rule_type == EVENT_METADATA]
    event_matches_rebuild(unit_id=unit.pk, rules=event_rules)
    table = SegmentMembership._meta.db_table
    # The membership's indexes are built once after the load, not kept through it.
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT segment_membership_once")
        cursor.execute("DROP INDEX segment_membership_lead")
        cursor.execute("DROP INDEX segment_membership_rank")
    for segment in segments.values():
        membership_insert_seconds(unit, segment)
    SegmentRecompute.objects.for_ou(unit).update(status=SegmentRecompute.Status.COMPLETED)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT segment_membership_once "
            "UNIQUE (segment_id, lead_id)"
        )
        cursor.execute(f"CREATE INDEX segment_membership_lead ON {table} (lead_id)")
        cursor.execute(
            f"CREATE INDEX segment_membership_rank ON {table} (segment_id, score DESC, lead_id)"
        )
        cursor.execute(
            f"INSERT INTO {SegmentMemberCount._meta.db_table} "  # noqa: S608
            "(segment_id, unit_id, share, members) SELECT segment_id, unit_id, 0, count(*) "
            f"FROM {SegmentMembership._meta.db_table} WHERE unit_id = %s "
            "GROUP BY segment_id, unit_id",
            [unit.pk],
        )
        for table in ("segmentmembership", "segmenteventmatch"):
            cursor.execute(f"VACUUM ANALYZE segments_{table}")


def timed(request: urllib.request.Request) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - 127.0.0.1
        json.loads(response.read())
    return time.perf_counter() - started


def reads(stack, segments: dict, runs: int) -> dict:
    """p50/p95/p99 (ms) of the count and of pages 1-5, the median of `runs` rounds, and of
    the same SQL raw."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from segments.selectors import segment_count, segment_members_page

    auth = {"Authorization": basic_authorization(stack.credential)}
    api = f"{stack.base_url}/api/v1/segments"
    counts = [f"{api}/{s.public_id}/count" for s in segments.values()]
    pages = [
        f"{api}/{s.public_id}/leads?page={page}&limit=50"
        for s in segments.values()
        for page in range(1, 6)
    ]
    count_sql, page_sql = [], []
    for segment in segments.values():
        with CaptureQueriesContext(connection) as queries:
            segment_count(ou=stack.unit, segment_id=segment.public_id)
        count_sql.append([q["sql"] for q in queries.captured_queries])
        for page in range(1, 6):
            with CaptureQueriesContext(connection) as queries:
                segment_members_page(
                    ou=stack.unit, segment_id=segment.public_id, offset=(page - 1) * 50, limit=50
                )
            page_sql.append([q["sql"] for q in queries.captured_queries])
    for url in counts + pages[:20]:  # warm-up
        timed(urllib.request.Request(url, headers=auth))  # noqa: S310
    rounds: dict[str, list] = {"count": [], "count raw": [], "leads": [], "leads raw": []}
    for _ in range(runs):
        rounds["count"].append(
            percentiles([timed(urllib.request.Request(u, headers=auth)) for u in counts])  # noqa: S310
        )
        rounds["leads"].append(
            percentiles([timed(urllib.request.Request(u, headers=auth)) for u in pages])  # noqa: S310
        )
        rounds["count raw"].append(percentiles(raw_sql_seconds(count_sql)))
        rounds["leads raw"].append(percentiles(raw_sql_seconds(page_sql)))
    return {name: _median_of(values) for name, values in rounds.items()}


def _median_of(rounds: list[tuple[float, ...]]) -> tuple[float, ...]:
    return tuple(statistics.median(r[i] for r in rounds) for i in range(len(rounds[0])))


def recompute(unit, segment, runs: int) -> dict:
    """Seconds of the recompute job after activation, and of the INSERT ... SELECT ceiling."""
    from leadvibe.jobs import job_run
    from segments.models import SegmentMembership, SegmentRecompute
    from segments.services.config import segment_update

    seconds, ceiling, job = [], [], None
    for _ in range(runs):
        segment_update(ou=unit, member=None, segment_id=segment.public_id, active=False)
        segment_update(ou=unit, member=None, segment_id=segment.public_id, active=True)
        job = SegmentRecompute.objects.for_ou(unit).filter(segment=segment).latest("id")
        started = time.perf_counter()
        job_run(kind="segment_recompute", job_id=job.pk)
        seconds.append(time.perf_counter() - started)
        SegmentMembership.objects.for_ou(unit).filter(segment=segment).delete()
        ceiling.append(membership_insert_seconds(unit, segment))
    job.refresh_from_db()
    return {
        "seconds": statistics.median(seconds),
        "ceiling": statistics.median(ceiling),
        "rounds": seconds,
        "status": job.status,
        "entered": job.entered,
        "leads": job.progress_done,
    }


def previews(stack, runs: int, per_round: int = 4) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from segments.rules import RuleSpec
    from segments.selectors import segment_preview

    headers = {
        "Authorization": basic_authorization(stack.credential),
        "Content-Type": "application/json",
    }
    url = f"{stack.base_url}/api/v1/segments/preview"
    bodies = [json.dumps({"rules": rules}).encode() for rules in PREVIEWS] * per_round
    statements = []
    for rules in PREVIEWS:
        specs = [RuleSpec(**r) for r in rules]
        with CaptureQueriesContext(connection) as queries:
            segment_preview(ou=stack.unit, rules=specs)
        statements.append([q["sql"] for q in queries.captured_queries])

    def post(body: bytes) -> float:
        return timed(urllib.request.Request(url, data=body, headers=headers, method="POST"))  # noqa: S310

    post(bodies[0])  # warm-up
    rounds: dict[str, list] = {"preview": [], "preview raw": []}
    for _ in range(runs):
        rounds["preview"].append(percentiles([post(body) for body in bodies]))
        rounds["preview raw"].append(percentiles(raw_sql_seconds(statements * per_round)))
    return {name: _median_of(values) for name, values in rounds.items()}


def scoring_throughput(stack, args) -> dict:
    """bench/scoring.py's setup in a second OU: events/s without segments and with SEGMENTS
    active (switched in the table, as the triggers bench switches its triggers)."""
    from django.db import connection

    from orgunits.services import org_unit_create
    from segments.models import Segment, SegmentMemberCount, SegmentMembership

    unit = org_unit_create(org=stack.unit.org, name="Scoring")
    configure(unit)
    with connection.cursor() as cursor:
        seed_leads(cursor, unit)
    segments = create_segments(unit)
    memberships_fill(unit, segments)

    def set_segments_active(active: bool) -> None:
        Segment.objects.for_ou(unit).update(active=active)
        if not active:
            SegmentMembership.objects.for_ou(unit).delete()
            SegmentMemberCount.objects.for_ou(unit).delete()

    return alternated_throughput(
        unit, stack.env, events=args.events, runs=args.runs,
        variants={"none": lambda: set_segments_active(False),
                  "20 segments": lambda: set_segments_active(True)},
    )  # fmt: skip


def _line(label: str, figures: tuple[float, ...], target: str = "") -> str:
    p50, p95, p99 = figures
    return f"{label:<44} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms  {target}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--skip", choices=["reads", "recompute", "preview", "scoring"],
                        action="append", default=[])  # fmt: skip
    args = parser.parse_args()

    with running_stack_with_django(web_workers=2, web_threads=2, celery_worker=False) as stack:
        started = time.perf_counter()
        seed(stack.unit, leads=args.leads)
        segments = create_segments(stack.unit)
        memberships_fill(stack.unit, segments)
        print(f"seeded {args.leads:,} leads, {len(segments)} segments in "
              f"{time.perf_counter() - started:.0f} s; members: {_sizes(stack.unit)}",
              flush=True)  # fmt: skip
        if "reads" not in args.skip:
            figures = reads(stack, segments, args.runs)
            print(_line("GET /segments/{id}/count", figures["count"], "target p95 <= 20 ms"))
            print(_line("  ceiling: the same SQL, raw", figures["count raw"]))
            print(_line("GET /segments/{id}/leads pages 1-5", figures["leads"],
                        "target p95 <= 50 ms"))  # fmt: skip
            print(_line("  ceiling: the same SQL, raw", figures["leads raw"]), flush=True)
        if "preview" not in args.skip:
            figures = previews(stack, args.runs)
            print(_line("POST /segments/preview (metadata, levels)", figures["preview"],
                        "target p95 <= 500 ms"))  # fmt: skip
            print(_line("  ceiling: the same SQL, raw", figures["preview raw"]), flush=True)
        if "recompute" not in args.skip:
            result = recompute(stack.unit, segments[RECOMPUTED], args.runs)
            rounds = ", ".join(f"{s:.1f}" for s in result["rounds"])
            print(f"recompute of {RECOMPUTED!r} after activation ({result['leads']:,} leads, "
                  f"{result['entered']:,} entered, {result['status']}): "
                  f"{result['seconds']:.1f} s (rounds {rounds})   target <= 30 s")  # fmt: skip
            print(f"  ceiling: one INSERT ... SELECT of the same members: "
                  f"{result['ceiling']:.1f} s", flush=True)  # fmt: skip
        if "scoring" not in args.skip:
            figures = scoring_throughput(stack, args)
            none, active = (statistics.median(v) for v in figures.values())
            print(f"scoring throughput, 2 workers, {args.events:,} events per run, median of "
                  f"{args.runs}: no segment {none:,.0f} events/s "
                  f"({', '.join(f'{v:,.0f}' for v in figures['none'])}); 20 active segments "
                  f"{active:,.0f} events/s "
                  f"({', '.join(f'{v:,.0f}' for v in figures['20 segments'])}); "
                  f"ratio {active / none:.2f}   target >= 0.85")  # fmt: skip


def _sizes(unit) -> str:
    from segments.selectors import segments_list

    return ", ".join(f"{s.lead_count:,}" for s in segments_list(ou=unit))


if __name__ == "__main__":
    main()
