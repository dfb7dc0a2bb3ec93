"""Building scoring configurations in the database and reading back what the pipeline stored,
in the engine's terms, so tests can compare them with the reference scorer."""

import datetime

from scoring import engine
from scoring.models.config import (
    AttributeFilter,
    DecayRule,
    EventTypeSetting,
    InorganicFilter,
    Rule,
    Ruleset,
    SurgePolicy,
)
from scoring.models.events import EngagementEvent
from scoring.models.scores import EventScore, LeadScore
from scoring.services.engine_config import scoring_config_load
from scoring.services.scoring_stage import engine_event

ORIGIN = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


def at_minute(minute: float) -> datetime.datetime:
    return ORIGIN + datetime.timedelta(minutes=minute)


def config_spec(
    *rulesets: list[tuple],
    surge: tuple = ("standard", [], "2"),
    inorganic_filters: tuple = (),
    event_types: tuple = (),
) -> dict:
    """A configuration in the shape `store_config` takes: one active ruleset per argument
    (its rules as `(event_type, weight, window, active)`), no attribute filters, sessions
    idle after 30 minutes, scores floored at zero."""
    return {
        "rulesets": [{"rules": list(rules), "active": True} for rules in rulesets],
        "attribute_filters": [],
        "inorganic_filters": list(inorganic_filters),
        "surge": surge,
        "idle_minutes": 30,
        "event_types": list(event_types),
        "allow_negative": False,
    }


def store_config(unit, spec: dict) -> engine.ScoringConfig:
    """Writes `spec` (the shape the property test draws) as the OU's configuration and returns
    the engine configuration the pipeline will load for it."""
    org_id = unit.org_id
    for n, ruleset_spec in enumerate(spec["rulesets"]):
        ruleset = Ruleset.objects.create(
            org_id=org_id, unit=unit, name=f"rs{n}", is_primary=n == 0,
            active=ruleset_spec["active"],
        )  # fmt: skip
        for event_type, weight, window, active in ruleset_spec["rules"]:
            Rule.objects.create(
                org_id=org_id, unit=unit, ruleset=ruleset, event_type=event_type, weight=weight,
                active=active,
                start_at=at_minute(window[0]) if window else None,
                end_at=at_minute(window[1]) if window else None,
            )  # fmt: skip
    for event_type, prop, value in spec["attribute_filters"]:
        AttributeFilter.objects.create(
            org_id=org_id, unit=unit, name="f", event_type=event_type,
            conditions=[{"property": prop, "condition": "equals", "value": value}],
        )  # fmt: skip
    for event_type, threshold, window_minutes, group in spec["inorganic_filters"]:
        InorganicFilter.objects.create(
            org_id=org_id, unit=unit, event_type=event_type, count_threshold=threshold,
            time_window_ms=int(window_minutes * 60_000), group_events=group,
        )  # fmt: skip
    mode, bands, cap = spec["surge"]
    SurgePolicy.objects.create(
        unit=unit, org_id=org_id, mode=mode, idle_reset_seconds=spec["idle_minutes"] * 60,
        bands=[{"min_events": k, "multiplier": m} for k, m in bands], multiplier_cap=cap,
    )  # fmt: skip
    for event_type, hidden, scope in spec["event_types"]:
        EventTypeSetting.objects.create(
            org_id=org_id, unit=unit, event_type=event_type, hidden=hidden,
            max_processing_scope=scope,
        )  # fmt: skip
    if spec["allow_negative"]:
        unit.org.allow_negative_scores = True
        unit.org.save(update_fields=["allow_negative_scores"])
    return scoring_config_load(unit.id)


def decay_rule(unit, decrease: int = 10, inactive_for: int = 1, time_unit="days") -> DecayRule:
    return DecayRule.objects.create(
        org_id=unit.org_id, unit=unit, inactive_for=inactive_for, time_unit=time_unit,
        decrease=decrease,
    )  # fmt: skip


def new_event(lead, event_type: str, minute: float, metadata=None, *, system=False):
    return EngagementEvent(
        org_id=lead.org_id,
        unit_id=lead.unit_id,
        lead=lead,
        event_type=event_type,
        occurred_at=at_minute(minute),
        received_at=ORIGIN,
        channel="system" if system else "web",
        metadata=metadata or {},
        source="system" if system else "api",
    )


def expected_from_reference(lead, config: engine.ScoringConfig):
    """What the reference scorer makes of the lead's stored events: final scores, score rows
    and each event's suppression reason (a later grouping re-marks earlier events)."""
    events = EngagementEvent.objects.unscoped().filter(lead=lead).order_by("occurred_at", "seq")
    state, outcomes = engine.score_stream([engine_event(e) for e in events], config)
    reasons = {}
    rows = set()
    times = {e.seq: e.occurred_at for e in events}
    for outcome in outcomes:
        reasons[outcome.seq] = outcome.suppression_reason
        for seq in outcome.regrouped_seqs:
            reasons[seq] = engine.Suppression.INORGANIC_GROUPED
        for s in outcome.scores:
            rows.add(
                (outcome.seq, s.ruleset_id, s.kind, s.delta, s.before, s.after, times[outcome.seq])
            )
    return state.scores, rows, reasons


def stored_scoring(lead):
    scores = dict(LeadScore.objects.unscoped().filter(lead=lead).values_list("ruleset_id", "score"))
    rows = set(
        EventScore.objects.unscoped()
        .filter(lead=lead)
        .values_list(
            "event_id", "ruleset_id", "kind", "delta", "score_before", "score_after", "occurred_at"
        )
    )
    reasons = dict(
        EngagementEvent.objects.unscoped()
        .filter(lead=lead)
        .values_list("seq", "suppression_reason")
    )
    return scores, rows, reasons


def nonzero(scores: dict) -> dict:
    return {k: v for k, v in scores.items() if v}
