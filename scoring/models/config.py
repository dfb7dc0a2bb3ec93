"""The scoring configuration (architecture.md §4): rulesets and their rules, decay,
inorganic and attribute filters, the surge policy, levels, event-type settings, and the
version every configuration write bumps."""

from django.db import models
from django.db.models import F, Q

from orgunits.models import OrgUnit
from orgunits.tenancy import ConfigModel, OUOwnedModel


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
        constraints = [
            # The rule counts events in `[start_at, end_at)`; either end may be open.
            models.CheckConstraint(
                condition=Q(start_at__isnull=True)
                | Q(end_at__isnull=True)
                | Q(start_at__lt=F("end_at")),
                name="rule_window_starts_before_it_ends",
            ),
        ]


class DecayRule(ConfigModel):
    ID_PREFIX = "dc_"

    class Unit(models.TextChoices):
        HOURS = "hours"
        DAYS = "days"
        WEEKS = "weeks"

    UNIT_SECONDS: dict[str, int] = {Unit.HOURS: 3600, Unit.DAYS: 86400, Unit.WEEKS: 7 * 86400}

    inactive_for = models.PositiveIntegerField()
    time_unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.DAYS)
    decrease = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(inactive_for__gte=1, decrease__gte=1),
                name="decay_rule_period_and_decrease_positive",
            ),
        ]

    @property
    def period_seconds(self) -> int:
        return self.inactive_for * self.UNIT_SECONDS[self.time_unit]


class InorganicFilter(ConfigModel):
    ID_PREFIX = "if_"

    event_type = models.CharField(max_length=100)
    count_threshold = models.PositiveIntegerField()
    time_window_ms = models.PositiveBigIntegerField()
    group_events = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(count_threshold__gte=1, time_window_ms__gte=1),
                name="inorganic_filter_threshold_and_window_positive",
            ),
        ]


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

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(multiplier_cap__gte=1, multiplier_cap__lte=3),
                name="surge_policy_multiplier_cap_1_to_3",
            ),
            models.CheckConstraint(
                condition=~Q(mode="custom") | ~Q(bands=[]),
                name="surge_policy_custom_mode_has_bands",
            ),
        ]

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
        # Ranges are inclusive. That the levels of a kind do not overlap spans rows: the
        # service checks it under the OU's configuration lock (scoring.services.levels).
        constraints = [
            models.CheckConstraint(
                condition=Q(max_score__isnull=True) | Q(max_score__gte=F("min_score")),
                name="level_max_score_at_least_min_score",
            ),
        ]


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
    org = None  # type: ignore[assignment]  # no column: the unit names the organization
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.version}"
