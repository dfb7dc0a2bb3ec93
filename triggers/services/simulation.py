"""`simulate`: what a trigger would have fired over the OU's recent data, computed the way
the pipeline computes it (the reference scorer over each lead's processed history, then
trigger evaluation from an empty state), so that a simulation and what the pipeline fired
on the same events agree."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from scoring import engine as scoring_engine
from scoring.models import EngagementEvent, Lead
from scoring.services.engine_config import scoring_configs, to_us
from scoring.services.scoring_stage import processed_histories
from triggers.models import Trigger
from triggers.services.evaluation import (
    UnitTriggers,
    engine_triggers,
    evaluate_lead_events,
    trigger_events,
    trigger_target,
    unit_triggers,
)

MAX_SIMULATED_LEADS = 5000  # leads with events in the period, the first by key
MAX_LISTED_LEADS = 100
LEAD_CHUNK = 500


@dataclass(frozen=True)
class TriggerSimulation:
    days: int
    lead_id: str | None  # the one lead simulated; None: every lead active in the period
    leads_simulated: int
    leads_matched: int
    matched_lead_ids: list[str]  # the first MAX_LISTED_LEADS, by key
    total_matches: int  # firings over all leads


def simulate_trigger(trigger: Trigger, *, lead: Lead | None, days: int) -> TriggerSimulation:
    since = timezone.now() - datetime.timedelta(days=days)
    lead_pks = [lead.pk] if lead is not None else _recently_active_leads(trigger.unit_id, since)
    config = scoring_configs({trigger.unit_id})[trigger.unit_id]
    unit = UnitTriggers(
        org_id=trigger.org_id,
        triggers=engine_triggers([trigger], since_creation=False),
        primary_ruleset_id=unit_triggers({trigger.unit_id})[trigger.unit_id].primary_ruleset_id,
        targets={trigger.id: trigger_target(trigger)},
    )
    since_us = to_us(since)
    matched: dict[int, int] = {}
    for start in range(0, len(lead_pks), LEAD_CHUNK):
        chunk = lead_pks[start : start + LEAD_CHUNK]
        for lead_pk, history in processed_histories(chunk).items():
            history.sort(key=lambda event: event.order_key)
            state, outcomes = scoring_engine.score_stream(history, config)
            events, _ = trigger_events(
                history,
                outcomes,
                unit.primary_ruleset_id,
                state.scores.get(unit.primary_ruleset_id, 0),
            )
            fired = [
                emission
                for emission, event in evaluate_lead_events({}, events, unit, lead_pk)
                if emission.kind == trigger.kind and event.occurred_at >= since_us
            ]
            if fired:
                matched[lead_pk] = len(fired)
    listed = list(matched)[:MAX_LISTED_LEADS]
    lead_ids = dict(Lead.objects.unscoped().filter(pk__in=listed).values_list("pk", "lead_id"))
    return TriggerSimulation(
        days=days,
        lead_id=lead.lead_id if lead is not None else None,
        leads_simulated=len(lead_pks),
        leads_matched=len(matched),
        matched_lead_ids=[lead_ids[pk] for pk in sorted(lead_ids)],
        total_matches=sum(matched.values()),
    )


def _recently_active_leads(unit_id: str, since: datetime.datetime) -> list[int]:
    return list(
        EngagementEvent.objects.for_ou(unit_id)
        .filter(
            occurred_at__gte=since,
            status=EngagementEvent.Status.PROCESSED,
        )
        .values_list("lead_id", flat=True)
        .distinct()
        .order_by("lead_id")[:MAX_SIMULATED_LEADS]
    )
