"""Leads, their aliases and accounts, engagement events, orders, CSV import jobs, the scoring
configuration and the scores.

Every row belongs to one OU (`orgunits.tenancy.OUOwnedModel`); reads start from
`Model.objects.for_ou(ou)`.
Leads keep the client's id (`lead_id`, unique per OU) and a bigint surrogate key that events
reference, so the largest table stays narrow.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from leadvibe.db import PrefixedIdField
from leadvibe.jobs import DurableJob
from orgunits.models import Member, Organization, OrgUnit
from orgunits.tenancy import ConfigModel, OUOwnedModel, PublicIdMixin


class Account(OUOwnedModel):
    """A company that leads belong to (account-based marketing)."""

    id = models.BigAutoField(primary_key=True)
    account_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "account_id"], name="account_unique_per_ou"),
        ]

    def __str__(self) -> str:
        return self.account_id


class Lead(OUOwnedModel):
    id = models.BigAutoField(primary_key=True)
    lead_id = models.CharField(max_length=200)
    account = models.ForeignKey(Account, null=True, on_delete=models.SET_NULL)
    owner = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL)
    metadata = models.JSONField(default=dict)
    merged_into = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The client's id names one lead per OU; lookups by it use this index.
            models.UniqueConstraint(fields=["unit", "lead_id"], name="lead_unique_per_ou"),
        ]
        indexes = [
            # Lead lists, newest first, and `range` filters on created_at.
            models.Index(fields=["unit", "-created_at"], name="lead_unit_created"),
            # Search by id prefix (LIKE 'q%'): under a non-C collation the unique index above
            # cannot serve it, a pattern_ops one can.
            models.Index(
                fields=["unit", "lead_id"],
                name="lead_unit_id_prefix",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.lead_id


class LeadAlias(OUOwnedModel):
    class Kind(models.TextChoices):
        EXTERNAL_ID = "external_id"
        EMAIL = "email"
        PHONE = "phone"
        COOKIE = "cookie"
        SOCIAL = "social"

    # Resolution order when several aliases of one event match different leads.
    PRIORITY = (Kind.EXTERNAL_ID, Kind.EMAIL, Kind.PHONE, Kind.COOKIE, Kind.SOCIAL)

    id = models.BigAutoField(primary_key=True)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    raw_value = models.CharField(max_length=320)
    normalized_value = models.CharField(max_length=320)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # An alias identifies one lead per OU; resolution looks aliases up by this index.
            models.UniqueConstraint(
                fields=["unit", "kind", "normalized_value"], name="alias_unique_per_ou"
            ),
        ]
        indexes = [
            # Aliases of a lead (reads, merge, delete).
            models.Index(fields=["lead"], name="alias_lead"),
            # Search by alias value prefix across kinds.
            models.Index(
                fields=["unit", "normalized_value"],
                name="alias_unit_value",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.normalized_value}"


class EngagementEvent(OUOwnedModel):
    class Channel(models.TextChoices):
        WEB = "web"
        EMAIL = "email"
        SLACK = "slack"
        WEBINAR = "webinar"
        CRM = "crm"
        SYSTEM = "system"

    class Source(models.TextChoices):
        API = "api"
        CSV = "csv"
        SEED = "seed"
        SYSTEM = "system"

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSED = "processed"

    ID_PREFIX = "ev_"

    # `seq` is the arrival order that breaks ties between equal `occurred_at` values; the
    # public id is derived from it (`ev_<seq>`), so events need no second unique index.
    seq = models.BigAutoField(primary_key=True)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    # The lead the event was ingested for, kept when a merge moves it to another lead.
    original_lead = models.ForeignKey(
        Lead, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    event_type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    metadata = models.JSONField(default=dict)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    idempotency_key = models.CharField(max_length=255, null=True)  # noqa: DJ001 - NULL = none
    # SHA-256 of the canonical body sent with the key (event_store.PreparedEvent.body_hash): a
    # repeat with another body is refused. NULL without a key, and for keys stored before.
    idempotency_hash = models.CharField(max_length=64, null=True)  # noqa: DJ001
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Set by scoring (§4): metadata_filter, inorganic, inorganic_grouped, hidden_type.
    suppression_reason = models.CharField(max_length=20, null=True)  # noqa: DJ001 - NULL = none

    class Meta:
        constraints = [
            # A repeated idempotency key answers with the first event (409 with another
            # body); keys older than 7 days are cleared by a periodic task, which frees them.
            models.UniqueConstraint(
                fields=["unit", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="event_idempotency_per_ou",
            ),
        ]
        indexes = [
            # GET /events, export and type/channel listings: the OU's events newest first.
            models.Index(fields=["unit", "-occurred_at", "-seq"], name="event_unit_time"),
            # A lead's events in scoring order (replay, /leads/{id}/events, activity).
            models.Index(fields=["lead", "occurred_at", "seq"], name="event_lead_time"),
            # Per-type counts, properties and delete-by-type within an OU.
            models.Index(fields=["unit", "event_type"], name="event_unit_type"),
            # The pipeline's queue: only pending rows are indexed, so it stays small.
            models.Index(fields=["seq"], condition=Q(status="pending"), name="event_pending"),
            # Deleting a lead clears `original_lead` where it points to it; only merged events
            # have one, so the index holds just those.
            models.Index(
                fields=["original_lead"],
                condition=Q(original_lead__isnull=False),
                name="event_original_lead",
            ),
            # metadata=key:value filters (containment, `@>`).
            GinIndex(fields=["metadata"], name="event_metadata", opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def public_id(self) -> str:
        return f"{self.ID_PREFIX}{self.seq}"


class Order(OUOwnedModel):
    id = models.BigAutoField(primary_key=True)
    order_id = models.CharField(max_length=200)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    items = models.JSONField(default=list)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "order_id"], name="order_unique_per_ou"),
        ]
        indexes = [
            # A lead's orders by time (activity stream).
            models.Index(fields=["lead", "occurred_at"], name="order_lead_time"),
            # GET /orders, newest first.
            models.Index(fields=["unit", "-occurred_at"], name="order_unit_time"),
        ]

    def __str__(self) -> str:
        return self.order_id


class ImportJob(DurableJob, OUOwnedModel):
    """A CSV import (scoring.services.imports): progress counts data rows, failed included."""

    MAX_ERRORS = 100

    id = PrefixedIdField(prefix="imp")
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL)
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=1024)
    rows_failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.id


class LeadDeletion(DurableJob, OUOwnedModel):
    """An asynchronous lead deletion (scoring.services.lead_changes); outlives the lead it
    deleted."""

    id = models.BigAutoField(primary_key=True)
    lead_id = models.CharField(max_length=200)

    class Meta(DurableJob.Meta):
        indexes = [
            *DurableJob.Meta.indexes,
            models.Index(fields=["unit", "lead_id"], name="deletion_unit_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.status}"


# --- Scoring configuration (architecture.md §4) ------------------------------------------------


class Ruleset(ConfigModel):
    ID_PREFIX = "rs_"

    name = models.CharField(max_length=100)
    score_column = models.CharField(max_length=100, default="total_score")
    is_primary = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="ruleset_name_per_ou"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(is_primary=True), name="ruleset_one_primary_per_ou"
            ),
        ]


class Rule(ConfigModel):
    ID_PREFIX = "rl_"

    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="rules")
    event_type = models.CharField(max_length=100)
    weight = models.IntegerField()
    icon = models.CharField(max_length=50, blank=True)
    active = models.BooleanField(default=True)
    start_at = models.DateTimeField(null=True)
    end_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "ruleset"], name="rule_unit_ruleset")]


class DecayRule(ConfigModel):
    ID_PREFIX = "dc_"

    class Unit(models.TextChoices):
        HOURS = "hours"
        DAYS = "days"
        WEEKS = "weeks"

    UNIT_SECONDS = {Unit.HOURS: 3600, Unit.DAYS: 86400, Unit.WEEKS: 7 * 86400}

    inactive_for = models.PositiveIntegerField()
    time_unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.DAYS)
    decrease = models.PositiveIntegerField()

    @property
    def period_seconds(self) -> int:
        return self.inactive_for * self.UNIT_SECONDS[self.time_unit]


class InorganicFilter(ConfigModel):
    ID_PREFIX = "if_"

    event_type = models.CharField(max_length=100)
    count_threshold = models.PositiveIntegerField()
    time_window_ms = models.PositiveBigIntegerField()
    group_events = models.BooleanField(default=False)


class AttributeFilter(ConfigModel):
    ID_PREFIX = "af_"

    name = models.CharField(max_length=100)
    event_type = models.CharField(max_length=100, null=True)  # noqa: DJ001 - NULL = any type
    # [{"property", "condition", "value"}], all of which must hold.
    conditions = models.JSONField(default=list)
    active = models.BooleanField(default=True)


class SurgePolicy(OUOwnedModel):
    """The OU's session surge policy; none stored means the Standard preset."""

    class Mode(models.TextChoices):
        OFF = "off"
        STANDARD = "standard"
        GENTLE = "gentle"
        CUSTOM = "custom"

    unit = models.OneToOneField(OrgUnit, primary_key=True, on_delete=models.CASCADE)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.STANDARD)
    bands = models.JSONField(default=list)  # [{"min_events", "multiplier"}], custom mode
    idle_reset_seconds = models.PositiveIntegerField(null=True)  # None: the OU's timeout
    multiplier_cap = models.DecimalField(max_digits=3, decimal_places=2, default=2)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.mode}"


class Level(ConfigModel):
    ID_PREFIX = "st_"

    class Kind(models.TextChoices):
        ENGAGEMENT = "engagement"
        PROFILE = "profile"
        ACCOUNT = "account"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    min_score = models.IntegerField()
    max_score = models.IntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "kind", "min_score"], name="level_unit_kind")]


class EventTypeSetting(OUOwnedModel):
    class Scope(models.TextChoices):
        OBSERVE = "observe"
        DECIDE = "decide"
        ACTIVATE = "activate"

    id = models.BigAutoField(primary_key=True)
    event_type = models.CharField(max_length=100)
    hidden = models.BooleanField(default=False)
    max_processing_scope = models.CharField(
        max_length=10, choices=Scope.choices, default=Scope.ACTIVATE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "event_type"], name="event_type_setting_per_ou")
        ]

    def __str__(self) -> str:
        return self.event_type


class ScoringConfigVersion(OUOwnedModel):
    """Bumped by every change of an OU's scoring configuration; workers cache the OU's
    compiled configuration under its version."""

    unit = models.OneToOneField(OrgUnit, primary_key=True, on_delete=models.CASCADE)
    org = None  # no column: the unit names the organization
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.version}"


# --- Scores ------------------------------------------------------------------------------------


class LeadScoringState(OUOwnedModel):
    """The engine's `LeadState` of a lead (JSON), with the columns queries need beside it."""

    lead = models.OneToOneField(Lead, primary_key=True, on_delete=models.CASCADE)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # no column: the unit names the organization
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


class LeadScore(OUOwnedModel):
    id = models.BigAutoField(primary_key=True)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # no column: the unit names the organization
    score = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

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
    org = None  # no column: the unit names the organization
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


class RescoreJob(PublicIdMixin, DurableJob, OUOwnedModel):
    """A rescore (scoring.services.rescore): the OU's leads replayed under the current
    configuration (asked for by a client, or after events were deleted); progress counts
    leads."""

    ID_PREFIX = "rsj_"

    id = models.BigAutoField(primary_key=True)
    # The ruleset the rescore was asked for, if any (every ruleset is recomputed).
    ruleset = models.ForeignKey(Ruleset, null=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    # Leads are done in key order; this is the last one done (a resumed job goes on from it).
    last_lead_pk = models.BigIntegerField(default=0)


# --- Profile (fit) and account scoring (architecture.md §4.8, §4.9) ----------------------------


class FitRuleset(ConfigModel):
    """A set of rules over lead (profile) or account metadata; each enabled set keeps its own
    score per lead or account. One set per OU and kind is primary: the profile (account)
    score and level shown for a lead are the primary set's."""

    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="%(class)s_name_per_ou"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(is_primary=True), name="%(class)s_one_primary"
            ),
        ]


class FitRule(ConfigModel):
    """`metadata[property_name] <condition> comparison_value` adds `weight` (conditions:
    scoring.engine.conditions.OPERATORS; `comparison_value` is "" for exists/not_exists)."""

    property_name = models.CharField(max_length=200)
    condition = models.CharField(max_length=20)
    comparison_value = models.TextField(blank=True, default="")
    weight = models.IntegerField()
    ui_order = models.IntegerField(default=0)

    class Meta:
        abstract = True


class FieldMappingConfig(ConfigModel):
    """Copies `event.metadata[source_field]` of scored events into lead (profile) or account
    metadata under `target_property`."""

    class Behavior(models.TextChoices):
        ALWAYS_LATEST = "always_latest"
        SET_ONCE = "set_once"
        APPEND = "append"

    source_field = models.CharField(max_length=200)
    target_property = models.CharField(max_length=200)
    update_behavior = models.CharField(
        max_length=16, choices=Behavior.choices, default=Behavior.ALWAYS_LATEST
    )
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True


class ProfileRuleset(FitRuleset):
    ID_PREFIX = "prs_"

    class Meta(FitRuleset.Meta):
        pass


class ProfileRule(FitRule):
    ID_PREFIX = "prl_"

    ruleset = models.ForeignKey(ProfileRuleset, on_delete=models.CASCADE, related_name="rules")


class AccountRuleset(FitRuleset):
    ID_PREFIX = "ars_"

    class Meta(FitRuleset.Meta):
        pass


class AccountRule(FitRule):
    ID_PREFIX = "arl_"

    ruleset = models.ForeignKey(AccountRuleset, on_delete=models.CASCADE, related_name="rules")


class ProfileMapping(FieldMappingConfig):
    ID_PREFIX = "pm_"


class AccountMapping(FieldMappingConfig):
    ID_PREFIX = "am_"


class LeadProfileScore(OUOwnedModel):
    """A lead's score in one enabled profile ruleset: a row per lead and ruleset, like
    LeadScore, so lead lists can sort and filter by it with an index."""

    id = models.BigAutoField(primary_key=True)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    ruleset = models.ForeignKey(ProfileRuleset, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # no column: the unit names the organization
    score = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "ruleset"], name="lead_profile_score_once"),
        ]
        indexes = [
            models.Index(fields=["ruleset", "-score", "lead"], name="lead_profile_score_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}/{self.ruleset_id}: {self.score}"


class AccountScore(OUOwnedModel):
    """An account's score in one enabled account ruleset."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    ruleset = models.ForeignKey(AccountRuleset, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # no column: the unit names the organization
    score = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "ruleset"], name="account_score_once"),
        ]
        indexes = [
            models.Index(fields=["ruleset", "-score", "account"], name="account_score_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.ruleset_id}: {self.score}"
