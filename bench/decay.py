"""Time of the decay sweep over `--leads` inactive leads (default 1,000,000), with a set-based
baseline measured in the same run.

Seeds one OU with two active rulesets and one decay rule (-5 per full day), and for every
lead: a score in each ruleset, the engine state and a last activity 1.5 days ago, so that
every lead has exactly one decay step due (written into the database with INSERT ... SELECT;
seeding is not what is measured). Then runs the sweep as the beat task runs it and checks
what it recorded. The baseline is one UPDATE of every lead score by the same decrease: the
least any set-based decay can cost. Each run reseeds the scores and states.

Run: `python bench/decay.py [--leads 1000000] [--runs 3]`.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadvibe.settings.test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.stack import SEED_LEADS_SQL  # noqa: E402
from orgunits.services import org_unit_create, organization_create  # noqa: E402
from scoring.models import DecayRule, EngagementEvent, EventScore, Ruleset  # noqa: E402
from scoring.services.decay_sweep import ou_decay_sweep  # noqa: E402

SEED_STATES = """
INSERT INTO scoring_leadscoringstate
    (lead_id, unit_id, state, last_event_at, last_event_seq, last_activity_at, updated_at)
SELECT l.id, %(unit)s,
       jsonb_build_object('scores', jsonb_build_object(%(rs1)s::text, 40, %(rs2)s::text, 3),
                          'last_key', jsonb_build_array(0, 0)),
       %(active)s, 0, %(active)s, now()
FROM scoring_lead l WHERE l.unit_id = %(unit)s
"""
SEED_SCORES = """
INSERT INTO scoring_leadscore (lead_id, ruleset_id, unit_id, score, updated_at)
SELECT l.id, r.id, %(unit)s, CASE WHEN r.id = %(rs1)s THEN 40 ELSE 3 END, now()
FROM scoring_lead l CROSS JOIN scoring_ruleset r
WHERE l.unit_id = %(unit)s AND r.unit_id = %(unit)s
"""
BASELINE = """
UPDATE scoring_leadscore SET score = GREATEST(0, score - 5), updated_at = now()
WHERE unit_id = %(unit)s
"""


def reseed(params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM scoring_eventscore WHERE unit_id = %(unit)s; "
            "DELETE FROM scoring_engagementevent WHERE unit_id = %(unit)s; "
            "DELETE FROM scoring_leadscore WHERE unit_id = %(unit)s; "
            "DELETE FROM scoring_leadscoringstate WHERE unit_id = %(unit)s",
            params,
        )
        cursor.execute(SEED_STATES, params)
        cursor.execute(SEED_SCORES, params)
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    unit = org_unit_create(org=organization_create(name="Decay bench"), name="Bench")
    rulesets = [
        Ruleset.objects.create(org_id=unit.org_id, unit=unit, name=name, is_primary=primary)
        for name, primary in (("Marketing", True), ("Sales", False))
    ]
    DecayRule.objects.create(
        org_id=unit.org_id, unit=unit, inactive_for=1, time_unit="days", decrease=5
    )
    now = timezone.now()
    params = {
        "org": unit.org_id,
        "unit": unit.id,
        "leads": args.leads,
        "rs1": rulesets[0].id,
        "rs2": rulesets[1].id,
        "active": now - datetime.timedelta(days=1.5),
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_LEADS_SQL, params)
    print(f"seeded {args.leads:,} leads in {time.perf_counter() - started:.1f} s")

    sweeps, baselines = [], []
    for run in range(1, args.runs + 1):
        reseed(params)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(BASELINE, params)
        baselines.append(time.perf_counter() - started)
        reseed(params)
        started = time.perf_counter()
        result = ou_decay_sweep(unit_id=unit.id, now=now)
        sweeps.append(time.perf_counter() - started)
        decays = EngagementEvent.objects.for_ou(unit).filter(event_type="DECAY").count()
        rows = EventScore.objects.for_ou(unit).filter(kind="decay").count()
        assert result.decays == decays == args.leads, (result, decays)
        assert rows == 2 * args.leads, rows  # 40 -> 35 and 3 -> 0 for every lead
        print(
            f"run {run}: sweep {sweeps[-1]:6.1f} s ({result.leads:,} leads, {decays:,} DECAY "
            f"events, {rows:,} event scores)   baseline UPDATE {baselines[-1]:5.1f} s"
        )
    sweep, baseline = statistics.median(sweeps), statistics.median(baselines)
    print(
        f"median: decay sweep {sweep:.1f} s for {args.leads:,} leads = "
        f"{args.leads / sweep:,.0f} leads/s = {sweep / baseline:.1f} x one UPDATE of their "
        f"scores ({baseline:.1f} s)   target <= 60 s"
    )


if __name__ == "__main__":
    main()
