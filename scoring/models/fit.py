"""Profile (fit) and account scoring (architecture.md §4.8, §4.9): rulesets over lead or
account metadata, the field mappings that fill that metadata from events, and the scores."""

from django.db import models
from django.db.models import Q

from orgunits.tenancy import ConfigModel
from scoring.models.leads import Account, Lead
from scoring.models.scores import RulesetScore


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
    # Each concrete rule's `ruleset` foreign key, to the ruleset model of its kind.
    ruleset_id: int

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


class LeadProfileScore(RulesetScore):
    """A lead's score in one enabled profile ruleset."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    ruleset = models.ForeignKey(ProfileRuleset, on_delete=models.CASCADE, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "ruleset"], name="lead_profile_score_once"),
        ]
        indexes = [
            models.Index(fields=["ruleset", "-score", "lead"], name="lead_profile_score_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}/{self.ruleset_id}: {self.score}"


class AccountScore(RulesetScore):
    """An account's score in one enabled account ruleset."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    ruleset = models.ForeignKey(AccountRuleset, on_delete=models.CASCADE, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "ruleset"], name="account_score_once"),
        ]
        indexes = [
            models.Index(fields=["ruleset", "-score", "account"], name="account_score_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.ruleset_id}: {self.score}"
