"""The decay sweep (architecture.md §4.6) in set-based SQL.

While a lead has no unsuppressed event, every full `inactive_for` of a decay rule since its
last activity lowers each active ruleset's score by `decrease` (under the floor), recorded as
a system DECAY event at `last_activity + k * inactive_for`. A decay that would change no
score is not recorded.

For each OU with decay rules, the sweep takes its inactive leads in chunks: it locks their
lead and scoring state rows (lead_locks; skipping leads someone else holds, and leads with
pending events: the next sweep takes them; chunks run on DECAY_SWEEP_CONNECTIONS
connections at once), computes every due step of every rule in SQL (`generate_series` from
the last activity, after the rule's last recorded decay), orders them by time, keeps the
prefix that still changes a score, and writes the DECAY events, their event scores, the lead
scores and the states in a few statements. What it writes is what the engine writes when it
replays those DECAY events (the property tests compare them). Running it twice, or two at
once, records each step once: the state's `last_decay_at` advances in the same transaction
and the rows are locked.

A step earlier than the lead's last applied event (only possible when suppressed or observed
events came after its activity) is stored as a pending DECAY event instead: the pipeline then
replays the lead, as for any late event.

A chunk that recorded decays publishes the `DECAY_APPLIED` extension point (segments,
triggers) in its transaction, with each decayed lead's primary-ruleset score before and after:
the rows come back from the statement that writes the states, so no statement is added.
"""

import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from leadvibe.db import keys_after
from orgunits.models import OrgUnit
from scoring.engine.config import SECOND_US
from scoring.extension_points import DECAY_APPLIED, DecayApplied, DecayedLead
from scoring.models import (
    DecayRule,
    EngagementEvent,
    EventScore,
    Lead,
    LeadScore,
    LeadScoringState,
    Ruleset,
)
from scoring.services.engine_config import SQL_TIMESTAMP_FROM_US, SQL_US_FROM_TIMESTAMP, to_us

CHUNK = 20_000

_EVENTS = EngagementEvent._meta.db_table
_EVENT_SCORES = EventScore._meta.db_table
_LEADS = Lead._meta.db_table
_LEAD_SCORES = LeadScore._meta.db_table
_STATES = LeadScoringState._meta.db_table


@dataclass(frozen=True)
class SweepResult:
    leads: int
    decays: int


def decay_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    leads = decays = 0
    unit_ids = DecayRule.objects.unscoped().values_list("unit_id", flat=True).distinct()
    for unit_id in list(unit_ids):
        result = ou_decay_sweep(unit_id=unit_id, now=now)
        leads += result.leads
        decays += result.decays
    return SweepResult(leads, decays)


def ou_decay_sweep(*, unit_id: str, now: datetime.datetime) -> SweepResult:
    rules = list(DecayRule.objects.for_ou(unit_id).order_by("id"))
    active_rulesets = Ruleset.objects.for_ou(unit_id).filter(active=True)
    active = list(active_rulesets.values_list("id", flat=True))
    if not rules or not active:
        return SweepResult(0, 0)
    unit = OrgUnit.objects.select_related("org").get(pk=unit_id)
    params = {
        "unit": unit_id,
        "org": unit.org_id,
        "rule_ids": [rule.id for rule in rules],
        "periods": [rule.period_seconds * SECOND_US for rule in rules],
        "decreases": [rule.decrease for rule in rules],
        "active": active,
        "primary": active_rulesets.filter(is_primary=True).values_list("id", flat=True).first(),
        "now_us": to_us(now),
        "negative": unit.org.allow_negative_scores,
    }
    shortest = min(rule.period_seconds for rule in rules)
    candidates = LeadScoringState.objects.for_ou(unit_id).filter(
        last_activity_at__lte=now - datetime.timedelta(seconds=shortest)
    )
    chunks = []
    after = 0
    while chunk := keys_after(candidates, after, CHUNK, key="lead_id"):
        chunks.append(chunk)
        after = chunk[-1]
    if settings.DECAY_SWEEP_CONNECTIONS > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(settings.DECAY_SWEEP_CONNECTIONS) as pool:
            results = list(
                pool.map(lambda chunk: _sweep_chunk_on_own_connection(chunk, params), chunks)
            )
    else:
        results = [_sweep_chunk(chunk, params) for chunk in chunks]
    return SweepResult(sum(r[0] for r in results), sum(r[1] for r in results))


def _sweep_chunk_on_own_connection(lead_ids: list[int], params: dict) -> tuple[int, int]:
    try:
        return _sweep_chunk(lead_ids, params)
    finally:
        connection.close()


@transaction.atomic
def _sweep_chunk(lead_ids: list[int], params: dict) -> tuple[int, int]:
    params = {**params, "leads": lead_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.lead_id FROM {_STATES} s "  # noqa: S608 - our tables
            f"JOIN {_LEADS} l ON l.id = s.lead_id WHERE s.lead_id = ANY(%(leads)s) "
            f"AND s.lead_id NOT IN (SELECT lead_id FROM {_EVENTS} "
            "  WHERE status = 'pending' AND unit_id = %(unit)s) "
            "ORDER BY s.lead_id FOR NO KEY UPDATE OF l SKIP LOCKED FOR UPDATE OF s SKIP LOCKED",
            params,
        )
        params["leads"] = [row[0] for row in cursor.fetchall()]
        if not params["leads"]:
            return 0, 0
        cursor.execute(_STEPS_SQL, params)
        cursor.execute("SELECT count(*) FROM decay_steps")
        (recorded,) = cursor.fetchone()
        if recorded:
            for statement in _WRITE_SQL:
                cursor.execute(statement, params)
            cursor.execute(_STATES_UPDATE_SQL, params)
            DECAY_APPLIED.publish(
                DecayApplied(
                    org_id=params["org"],
                    unit_id=params["unit"],
                    primary_ruleset_id=params["primary"],
                    leads=tuple(DecayedLead(*row) for row in cursor.fetchall()),
                )
            )
        cursor.execute("DROP TABLE IF EXISTS decay_steps, decay_totals")
    return len(params["leads"]), recorded


# The SQL below is composed from constant fragments; every value is a bound parameter.


def _floored(expression: str) -> str:
    return f"CASE WHEN %(negative)s THEN {expression} ELSE GREATEST(0, {expression}) END"


# Every due step of every rule for the locked leads, in replay order, with the running total
# of decreases and the lead's scores before the sweep; only the prefix that still changes some
# score (or every step when negative scores are allowed) is kept. Each step gets the seq of
# its DECAY event here, in replay order.
_STEPS_SQL = f"""
CREATE TEMP TABLE decay_steps ON COMMIT DROP AS
WITH rules AS (
    SELECT * FROM unnest(%(rule_ids)s::bigint[], %(periods)s::bigint[], %(decreases)s::int[])
        AS r(rule_id, period, decrease)
), due AS (
    SELECT s.lead_id, coalesce(s.state -> 'scores', '{{}}') AS scores,
           s.state -> 'last_decay_at' AS decayed,
           {SQL_US_FROM_TIMESTAMP.format("s.last_activity_at")} AS act,
           coalesce({SQL_US_FROM_TIMESTAMP.format("s.last_event_at")}, 0) AS last_t
    FROM {_STATES} s
    WHERE s.lead_id = ANY(%(leads)s) AND s.last_activity_at IS NOT NULL
), steps AS (
    SELECT due.lead_id, due.scores, due.last_t, r.rule_id, r.decrease,
           due.act + k * r.period AS t
    FROM due CROSS JOIN rules r
    CROSS JOIN LATERAL (SELECT (due.decayed ->> r.rule_id::text)::bigint AS done) d
    CROSS JOIN LATERAL generate_series(
        CASE WHEN d.done IS NULL OR d.done < due.act + r.period THEN 1
             ELSE (d.done - due.act) / r.period + 1 END,
        (%(now_us)s - due.act) / r.period
    ) AS k
), ordered AS (
    SELECT steps.*,
           sum(decrease) OVER (PARTITION BY lead_id ORDER BY t, rule_id) AS cum,
           (SELECT max(coalesce((steps.scores ->> a::text)::int, 0))
            FROM unnest(%(active)s::bigint[]) AS a) AS top
    FROM steps
), kept AS (
    SELECT lead_id, scores, rule_id, decrease, t, cum,
           bool_or(t < last_t) OVER (PARTITION BY lead_id) AS late
    FROM ordered
    WHERE %(negative)s OR top - (cum - decrease) > 0
    ORDER BY lead_id, t, rule_id
)
SELECT kept.*, nextval(pg_get_serial_sequence('{_EVENTS}', 'seq')) AS seq
FROM kept
"""  # noqa: S608 - constant fragments, values bound

_WRITE_SQL = [
    # The DECAY events: processed, except late ones, which the pipeline replays.
    f"""
    INSERT INTO {_EVENTS}
        (seq, org_id, unit_id, lead_id, event_type, occurred_at, received_at, channel,
         metadata, source, status)
    SELECT seq, %(org)s, %(unit)s, lead_id, 'DECAY', {SQL_TIMESTAMP_FROM_US.format("t")},
           now(), 'system',
           jsonb_build_object('channel', 'system', 'decay_rule_id', rule_id,
                              'decrease', decrease),
           'system', CASE WHEN late THEN 'pending' ELSE 'processed' END
    FROM decay_steps
    """,  # noqa: S608 - constant fragments, values bound
    # Leads with a late step go through the pipeline's replay: nothing more here.
    "DELETE FROM decay_steps WHERE late",
    # What each step did to each active ruleset, from the score before the sweep.
    f"""
    INSERT INTO {_EVENT_SCORES}
        (event_id, lead_id, ruleset_id, unit_id, kind, rule_ids, weight, multiplier, delta,
         score_before, score_after, occurred_at, created_at)
    SELECT d.seq, d.lead_id, a.ruleset_id, %(unit)s, 'decay', '{{}}', -d.decrease, 1,
           v.after - v.before, v.before, v.after, {SQL_TIMESTAMP_FROM_US.format("d.t")}, now()
    FROM decay_steps d CROSS JOIN unnest(%(active)s::bigint[]) AS a(ruleset_id)
    CROSS JOIN LATERAL (SELECT coalesce((d.scores ->> a.ruleset_id::text)::int, 0) AS score) s
    CROSS JOIN LATERAL (
        SELECT {_floored("s.score - (d.cum - d.decrease)")} AS before,
               {_floored("s.score - d.cum")} AS after
    ) v
    WHERE v.before <> v.after
    """,  # noqa: S608 - constant fragments, values bound
    # Per lead: the total decrease, the last decay of each rule, the last applied event.
    """
    CREATE TEMP TABLE decay_totals ON COMMIT DROP AS
    SELECT lead_id, (array_agg(scores))[1] AS scores, max(cum) AS total, max(t) AS last_t,
           max(seq) AS last_seq, jsonb_object_agg(rule_id::text, t ORDER BY t) AS decays
    FROM decay_steps GROUP BY lead_id
    """,
    # New scores of every active ruleset (the engine keeps one for each after a DECAY).
    f"""
    UPDATE {_LEAD_SCORES} ls
    SET score = {_floored("ls.score - t.total")}, updated_at = now()
    FROM decay_totals t
    WHERE ls.lead_id = t.lead_id AND ls.ruleset_id = ANY(%(active)s)
      AND ls.score <> {_floored("ls.score - t.total")}
    """,  # noqa: S608 - constant fragments, values bound
    f"""
    INSERT INTO {_LEAD_SCORES} (lead_id, ruleset_id, unit_id, score, updated_at)
    SELECT t.lead_id, a.ruleset_id, %(unit)s, {_floored("0 - t.total")}, now()
    FROM decay_totals t CROSS JOIN unnest(%(active)s::bigint[]) AS a(ruleset_id)
    WHERE NOT EXISTS (
        SELECT 1 FROM {_LEAD_SCORES} ls
        WHERE ls.lead_id = t.lead_id AND ls.ruleset_id = a.ruleset_id
    )
    ON CONFLICT (lead_id, ruleset_id) DO NOTHING
    """,  # noqa: S608 - constant fragments, values bound
]

# The engine's state: scores, last decay per rule, last applied event; returns the fields of
# each lead's DecayedLead, in order.
_STATES_UPDATE_SQL = f"""
    UPDATE {_STATES} s
    SET state = s.state || jsonb_build_object(
            'scores', t.scores || (
                SELECT jsonb_object_agg(
                    a::text, {_floored("coalesce((t.scores ->> a::text)::int, 0) - t.total")})
                FROM unnest(%(active)s::bigint[]) AS a),
            'last_decay_at', coalesce(s.state -> 'last_decay_at', '{{}}') || t.decays,
            'last_key', jsonb_build_array(t.last_t, t.last_seq)),
        last_event_at = {SQL_TIMESTAMP_FROM_US.format("t.last_t")},
        last_event_seq = t.last_seq,
        updated_at = now()
    FROM decay_totals t
    WHERE s.lead_id = t.lead_id
    RETURNING s.lead_id, coalesce((t.scores ->> %(primary)s::text)::int, 0),
              coalesce((s.state -> 'scores' ->> %(primary)s::text)::int, 0),
              t.last_seq, t.last_t
    """  # noqa: S608 - constant fragments, values bound
