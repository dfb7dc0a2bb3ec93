"""Triggers (architecture.md §5), what they fired and where it was delivered, and the
OU connections deliveries go through (webhook signing secret, Slack).

A trigger of any kind is one row of `Trigger` (its kind says which fields apply), so firings
and deliveries refer to one table. What the triggers remember of a lead's recent events is
kept with its scoring state (`LeadScoringState.hook_state`). A firing is unique per
(trigger, lead, kind, occurrence): `occurrence` is 0 for what can happen once per lead and
the firing event's `seq` otherwise, so replaying the same events inserts nothing new.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from orgunits.models import Organization, OrgUnit
from orgunits.tenancy import ConfigModel, OUOwnedModel
from scoring.models import Lead


class Trigger(ConfigModel):
    ID_PREFIX = "tr_"

    class Kind(models.TextChoices):
        MILESTONE = "milestone"
        SEQUENCE = "sequence"
        PATTERN = "pattern"
        SURGE = "surge"
        SEGMENT = "segment"

    class FireMode(models.TextChoices):
        ONCE = "once"
        ALWAYS = "always"

    class WindowUnit(models.TextChoices):
        SECONDS = "seconds"
        MINUTES = "minutes"
        HOURS = "hours"
        DAYS = "days"

    class SlackTargetKind(models.TextChoices):
        CHANNEL = "channel"
        USER = "user"

    class SegmentDirection(models.TextChoices):
        ENTER = "enter"
        EXIT = "exit"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    fire_mode = models.CharField(max_length=10, choices=FireMode.choices, default=FireMode.ONCE)
    cooldown_seconds = models.PositiveIntegerField(default=0)

    # milestone: score_threshold (+ event_type); surge: threshold_count (+ event_type) in window
    event_type = models.CharField(max_length=100, blank=True)
    score_threshold = models.IntegerField(null=True)
    threshold_count = models.PositiveIntegerField(null=True)
    # sequence: event_steps in window (ordered or not); pattern: conditions in window
    event_steps = ArrayField(models.CharField(max_length=100), default=list)
    ordered = models.BooleanField(default=True)
    conditions = models.JSONField(default=list)  # [{"event_type", "min_count", "metadata"?}]
    window_seconds = models.PositiveIntegerField(null=True)
    window_unit = models.CharField(
        max_length=10, choices=WindowUnit.choices, default=WindowUnit.SECONDS
    )
    profile_filters = models.JSONField(default=list)
    lead_attribute_filters = models.JSONField(default=list)
    # segment: the lead entering (or leaving) this segment; deleting the segment deletes the
    # trigger with what it fired.
    segment = models.ForeignKey(
        "segments.Segment", null=True, on_delete=models.CASCADE, related_name="+"
    )
    segment_direction = models.CharField(max_length=5, choices=SegmentDirection.choices, blank=True)

    # destinations
    webhook_url = models.URLField(max_length=2000, blank=True)
    webhook_disabled_at = models.DateTimeField(null=True)  # the receiver answered 410
    emails = ArrayField(models.EmailField(), default=list)
    email_subject = models.CharField(max_length=500, blank=True)
    email_preheader = models.CharField(max_length=500, blank=True)
    email_message = models.TextField(blank=True)
    slack_target_kind = models.CharField(max_length=10, choices=SlackTargetKind.choices, blank=True)
    slack_target_id = models.CharField(max_length=100, blank=True)
    teams_target_kind = models.CharField(max_length=10, blank=True)
    teams_target_id = models.CharField(max_length=2000, blank=True)  # incoming-webhook URL
    hubspot_sync = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["unit", "kind"], name="trigger_unit_kind")]
        # What each kind cannot work without (the API asks for the same). NULL passes a
        # CHECK, hence the explicit `isnull=False` beside comparisons.
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="milestone") | Q(score_threshold__isnull=False),
                name="trigger_milestone_has_threshold",
            ),
            models.CheckConstraint(
                condition=~Q(kind="sequence") | ~Q(event_steps=[]),
                name="trigger_sequence_has_steps",
            ),
            models.CheckConstraint(
                condition=~Q(kind="pattern") | ~Q(conditions=[]),
                name="trigger_pattern_has_conditions",
            ),
            models.CheckConstraint(
                condition=~Q(kind="surge")
                | Q(threshold_count__isnull=False, threshold_count__gte=1),
                name="trigger_surge_has_threshold_count",
            ),
            models.CheckConstraint(
                condition=~Q(kind="segment")
                | Q(segment__isnull=False, segment_direction__in=["enter", "exit"]),
                name="trigger_segment_has_segment_and_direction",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["milestone", "segment"])
                | Q(window_seconds__isnull=False, window_seconds__gte=1),
                name="trigger_windowed_kinds_have_a_window",
            ),
        ]


class Firing(OUOwnedModel):
    """What a trigger emitted for a lead (the "emitted events" of the API); a surge firing is
    also a surge event, and a lead dropping back below a milestone is a `milestone_exited`.
    A segment trigger's firing is a membership change, not one event: no `event_seq`, its
    `event_type` is its kind and `payload` names the segment, direction and cause."""

    class Kind(models.TextChoices):
        MILESTONE = "milestone"
        MILESTONE_EXITED = "milestone_exited"
        SEQUENCE = "sequence"
        PATTERN = "pattern"
        SURGE = "surge"
        SEGMENT_ENTERED = "segment_entered"
        SEGMENT_EXITED = "segment_exited"

    id = models.BigAutoField(primary_key=True)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    # The unique constraint (trigger, lead, ...) indexes by trigger already.
    trigger = models.ForeignKey(
        Trigger, on_delete=models.CASCADE, related_name="firings", db_index=False
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurrence = models.BigIntegerField()
    event_seq = models.BigIntegerField(null=True)  # the event that fired it
    event_type = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, blank=True)
    score = models.IntegerField(null=True)  # the primary score after the event
    occurred_at = models.DateTimeField()  # the event's time
    event_received_at = models.DateTimeField()
    payload = models.JSONField(default=dict)  # the `data` of the notification
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "lead", "kind", "occurrence"], name="firing_once_per_occurrence"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "kind", "-occurred_at"], name="firing_unit_kind_time"),
            models.Index(fields=["lead"], name="firing_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of trigger {self.trigger_id} for lead {self.lead_id}"


class Delivery(OUOwnedModel):
    """One destination of a firing (the outbox): sent by a task after the firing commits and
    retried on the schedule of architecture.md §5 until delivered or failed."""

    class Channel(models.TextChoices):
        WEBHOOK = "webhook"
        EMAIL = "email"
        SLACK = "slack"
        TEAMS = "teams"

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"
        DISABLED = "disabled"  # the endpoint answered 410 (now or for an earlier delivery)

    id = models.BigAutoField(primary_key=True)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    firing = models.ForeignKey(Firing, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=2000)
    target_kind = models.CharField(max_length=10, blank=True)  # slack: channel | user
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True)
    next_attempt_at = models.DateTimeField(null=True)
    delivered_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "-created_at"], name="delivery_unit_time"),
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.target}: {self.status}"


class WebhookSecret(OUOwnedModel):
    """The OU's Standard Webhooks signing secret (`whsec_...`, encrypted at rest). During a
    rotation the previous secret keeps signing too until `previous_expires_at`."""

    unit = models.OneToOneField(OrgUnit, primary_key=True, on_delete=models.CASCADE)
    org = None  # no column: the unit names the organization
    secret_encrypted = models.TextField()
    revealed_at = models.DateTimeField(null=True)
    previous_secret_encrypted = models.TextField(blank=True)
    previous_expires_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"webhook secret of {self.unit_id}"


class SlackApp(models.Model):
    """The organization's Slack app credentials (the client secret encrypted at rest)."""

    org = models.OneToOneField(Organization, primary_key=True, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=200)
    client_secret_encrypted = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Slack app {self.client_id}"


class SlackConnection(OUOwnedModel):
    """An OU's installed Slack workspace: the bot token (encrypted) and the default target."""

    unit = models.OneToOneField(OrgUnit, primary_key=True, on_delete=models.CASCADE)
    org = None  # no column: the unit names the organization
    team_id = models.CharField(max_length=50)
    team_name = models.CharField(max_length=200, blank=True)
    bot_user_id = models.CharField(max_length=50, blank=True)
    bot_token_encrypted = models.TextField()
    default_target_kind = models.CharField(
        max_length=10, choices=Trigger.SlackTargetKind.choices, blank=True
    )
    default_target_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Slack team {self.team_id} of {self.unit_id}"


class SlackOAuthState(OUOwnedModel):
    """A single-use, short-lived OAuth `state` binding a Slack install to the OU and member
    that started it."""

    state = models.CharField(max_length=64, primary_key=True)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE)
    org = None  # no column: the unit names the organization
    member = models.ForeignKey("orgunits.Member", on_delete=models.CASCADE)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Slack OAuth state of {self.unit_id}"
