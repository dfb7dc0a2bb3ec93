"""Building trigger scenarios in the database and feeding them events through the API."""

import datetime

from django.utils import timezone

from leadvibe.secrets_at_rest import encrypt_secret
from scoring.models import Rule, Ruleset
from scoring.services.pipeline import process_pending_events
from scoring.services.scoring_config import scoring_config_changed
from triggers.models import SlackConnection, Trigger

NOW = timezone.now().replace(microsecond=0)


def primary_ruleset(unit, weights: dict[str, int]) -> Ruleset:
    ruleset = Ruleset.objects.create(org_id=unit.org_id, unit=unit, name="main", is_primary=True)
    for event_type, weight in weights.items():
        Rule.objects.create(
            org_id=unit.org_id, unit=unit, ruleset=ruleset, event_type=event_type, weight=weight
        )
    return ruleset


def make_trigger(unit, kind: str, **fields) -> Trigger:
    """As the trigger API makes one: the OU's configuration version moves with it."""
    trigger = Trigger.objects.create(org_id=unit.org_id, unit=unit, kind=kind, **fields)
    scoring_config_changed(unit)
    return trigger


def connect_slack(unit, workspace) -> SlackConnection:
    return SlackConnection.objects.create(
        unit=unit,
        team_id=workspace.team_id,
        team_name=workspace.team_name,
        bot_user_id=workspace.bot_user_id,
        bot_token_encrypted=encrypt_secret(workspace.bot_token),
    )


def at(seconds: float) -> str:
    return (NOW - datetime.timedelta(hours=1) + datetime.timedelta(seconds=seconds)).isoformat()


def send_events(client, lead_id: str, events: list[tuple[str, float]] | list, **extra) -> None:
    """Ingests `(event_type, seconds)` (or `(event_type, seconds, metadata)`) for the lead,
    then lets the pipeline score them."""
    for item in events:
        event_type, seconds, *metadata = item
        body = {"event_type": event_type, "lead_id": lead_id, "timestamp": at(seconds)}
        if metadata:
            body["metadata"] = metadata[0]
        response = client.post("/api/v1/events", {**body, **extra}, format="json")
        assert response.status_code == 202, response.content
    process_pending_events()
