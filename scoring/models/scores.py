"""Engagement scores: each lead's engine state, its score per ruleset, and what each event
did to each score."""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from orgunits.models import OrgUnit
from orgunits.tenancy import OUOwnedModel
from scoring.models.config import Ruleset
from scoring.models.events import EngagementEvent
from scoring.models.leads import Lead


class LeadScoringState(OUOwnedModel):
    """The engine's `LeadState` of a lead (JSON), with the columns queries need beside it."""

    lead = models.OneToOneField(Lead, primary_key=True, on_delete=models.CASCADE)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # type: ignore[assignment]  # no column: the unit names the organization
    state = models.JSONField(default=dict)
    last_event_at = models.DateTimeField(null=True)
    last_event_seq = models.BigIntegerField(null=True)
    last_activity_at = models.DateTimeField(null=True)
    last_event_type = models.CharField(max_length=100, null=True)  # noqa: DJ001
    # What SCORED_BATCH subscribers (trigger windows) keep per lead, by subscriber; written in
    # the same UPDATE as `state`, so their memory costs no statement of its own. NULL: nothing.
    hook_state = models.JSONField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # Decay sweep: leads by inactivity; GET /leads last_active filter.
            models.Index(fields=["unit", "last_activity_at"], name="scoring_state_activity"),
        ]

    def __str__(self) -> str:
        return str(self.lead_id)


class RulesetScore(OUOwnedModel):
    """A subject's (lead's, account's) score in one ruleset: a row per subject and ruleset, so
    lists can sort and filter by it with an index. A concrete score adds the subject and
    ruleset foreign keys, unique together, and its ranking index."""

    id = models.BigAutoField(primary_key=True)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # type: ignore[assignment]  # no column: the unit names the organization
    score = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class LeadScore(RulesetScore):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "ruleset"], name="lead_score_per_ruleset"),
        ]
        indexes = [
            # GET /leads sorted and filtered by a ruleset's score.
            models.Index(fields=["ruleset", "-score", "lead"], name="lead_score_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}/{self.ruleset_id}: {self.score}"


class EventScore(OUOwnedModel):
    """What one event did to one ruleset's score: its rules' points, a compensation of a
    grouped burst, or a decay."""

    class Kind(models.TextChoices):
        RULE = "rule"
        COMPENSATION = "compensation"
        DECAY = "decay"

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(EngagementEvent, on_delete=models.CASCADE, db_index=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # type: ignore[assignment]  # no column: the unit names the organization
    kind = models.CharField(max_length=12, choices=Kind.choices)
    rule_ids = ArrayField(models.BigIntegerField(), default=list)
    weight = models.IntegerField()
    multiplier = models.DecimalField(max_digits=4, decimal_places=2)
    delta = models.IntegerField()
    score_before = models.IntegerField()
    score_after = models.IntegerField()
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Reprocessing an event never counts it twice.
            models.UniqueConstraint(
                fields=["event", "ruleset", "kind"], name="event_score_once_per_kind"
            ),
        ]
        indexes = [
            # A lead's score history (explain, activity, replay clears it).
            models.Index(fields=["lead", "occurred_at"], name="event_score_lead_time"),
            # Rescore and ruleset deletion.
            models.Index(fields=["ruleset"], name="event_score_ruleset"),
            # Analytics: recent gains in an OU.
            models.Index(fields=["unit", "occurred_at"], name="event_score_unit_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.ruleset_id}: {self.delta:+d}"
