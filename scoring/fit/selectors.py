"""Reads of profile (fit) and account scoring (architecture.md §4.8, §4.9): rulesets, rules and
field mappings of an OU, the distinct metadata keys of its leads and accounts, a lead's
profile score and level, an account's score and level, and the OU's configuration compiled
for the engine (`fit_config_load`).

Profile and account scoring share one shape, told apart by a `FitKind` (PROFILE, ACCOUNT).
Objects are addressed by public ids; an id of another OU is not found (404).
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import QuerySet

from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.engine.levels import LevelRange, level_for
from scoring.engine.profile import FieldMapping, profile_scores
from scoring.engine.profile import ProfileRule as EngineRule
from scoring.engine.profile import ProfileRuleset as EngineRuleset
from scoring.models import (
    Account,
    AccountMapping,
    AccountRule,
    AccountRuleset,
    AccountScore,
    FieldMappingConfig,
    FitRule,
    FitRuleset,
    Lead,
    LeadProfileScore,
    Level,
    ProfileMapping,
    ProfileRule,
    ProfileRuleset,
)
from scoring.selectors.config import config_object_get, levels_list
from scoring.selectors.leads import lead_get

# Conditions that compare with no value, and those that need a number.
VALUELESS_CONDITIONS = frozenset({"exists", "not_exists"})
NUMERIC_CONDITIONS = frozenset({"greater_than", "greater_or_equal", "less_than", "less_or_equal"})
# GET /profile/properties and /accounts/properties answer at most this many keys.
MAX_PROPERTIES = 1000


@dataclass(frozen=True)
class FitKind:
    """What differs between profile scoring (leads) and account scoring (accounts)."""

    name: str
    ruleset_model: type[FitRuleset]
    rule_model: type[FitRule]
    mapping_model: type[FieldMappingConfig]
    score_model: type[LeadProfileScore] | type[AccountScore]
    subject_model: type[Lead] | type[Account]
    subject_column: str  # the score table's column naming the lead or account
    level_kind: str


PROFILE = FitKind(
    name="profile",
    ruleset_model=ProfileRuleset,
    rule_model=ProfileRule,
    mapping_model=ProfileMapping,
    score_model=LeadProfileScore,
    subject_model=Lead,
    subject_column="lead_id",
    level_kind=Level.Kind.PROFILE,
)
ACCOUNT = FitKind(
    name="account",
    ruleset_model=AccountRuleset,
    rule_model=AccountRule,
    mapping_model=AccountMapping,
    score_model=AccountScore,
    subject_model=Account,
    subject_column="account_id",
    level_kind=Level.Kind.ACCOUNT,
)


# --- Configuration objects ------------------------------------------------------------------


def fit_rulesets_list(*, ou: OrgUnit, kind: FitKind) -> QuerySet:
    """The OU's rulesets of the kind, oldest first."""
    return kind.ruleset_model.objects.for_ou(ou).order_by("created_at", "id")


def fit_ruleset_get(*, ou: OrgUnit, kind: FitKind, ruleset_id: str) -> FitRuleset:
    return config_object_get(kind.ruleset_model, ou=ou, public_id=ruleset_id)


def fit_rules_list(*, ou: OrgUnit, kind: FitKind, ruleset_id: str) -> QuerySet:
    """The rules of one ruleset of the OU, by `ui_order` then creation."""
    ruleset = fit_ruleset_get(ou=ou, kind=kind, ruleset_id=ruleset_id)
    return kind.rule_model.objects.for_ou(ou).filter(ruleset=ruleset).order_by("ui_order", "id")


def fit_rule_get(*, ou: OrgUnit, kind: FitKind, ruleset_id: str, rule_id: str) -> FitRule:
    """The rule, which must belong to the named ruleset of the OU (404 otherwise)."""
    ruleset = fit_ruleset_get(ou=ou, kind=kind, ruleset_id=ruleset_id)
    rule = config_object_get(kind.rule_model, ou=ou, public_id=rule_id)
    if rule.ruleset_id != ruleset.pk:
        raise NotFoundError()
    return rule


def fit_mappings_list(*, ou: OrgUnit, kind: FitKind) -> QuerySet:
    return kind.mapping_model.objects.for_ou(ou).order_by("id")


def fit_mapping_get(*, ou: OrgUnit, kind: FitKind, mapping_id: str) -> FieldMappingConfig:
    return config_object_get(kind.mapping_model, ou=ou, public_id=mapping_id)


def metadata_properties(*, ou: OrgUnit, kind: FitKind) -> list[str]:
    """Distinct top-level metadata keys of the OU's leads (merged ones left out) or accounts,
    sorted, computed in SQL; at most MAX_PROPERTIES."""
    table = kind.subject_model._meta.db_table
    unmerged = " AND s.merged_into_id IS NULL" if kind is PROFILE else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT key FROM "  # noqa: S608 - our table names
            f"{table} AS s CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN "
            "jsonb_typeof(s.metadata) = 'object' THEN s.metadata ELSE '{}'::jsonb END) AS key "
            f"WHERE s.unit_id = %s{unmerged} ORDER BY key LIMIT %s",
            [ou.pk, MAX_PROPERTIES],
        )
        return [key for (key,) in cursor.fetchall()]


# --- The configuration compiled for the engine ----------------------------------------------


@dataclass(frozen=True)
class FitConfig:
    """An OU's profile and account scoring as the engine takes it. Only enabled rulesets and
    active mappings; nothing of accounts when the organization has no ABM."""

    profile_rulesets: tuple[EngineRuleset, ...] = ()
    account_rulesets: tuple[EngineRuleset, ...] = ()
    lead_mappings: tuple[FieldMapping, ...] = ()
    account_mappings: tuple[FieldMapping, ...] = ()
    abm: bool = False

    def rulesets(self, kind: FitKind) -> tuple[EngineRuleset, ...]:
        return self.profile_rulesets if kind is PROFILE else self.account_rulesets

    @property
    def mapped_fields(self) -> frozenset[str]:
        """Event metadata keys some mapping reads."""
        return frozenset(m.source_field for m in (*self.lead_mappings, *self.account_mappings))


def fit_config_load(unit_id: str) -> FitConfig:
    """The OU's configuration as the database has it now (inside a write's transaction: with
    the write's changes)."""
    abm = OrgUnit.objects.filter(pk=unit_id, org__abm_enabled=True).exists()
    kinds = (PROFILE, ACCOUNT) if abm else (PROFILE,)
    rulesets = {kind: _engine_rulesets(unit_id, kind) for kind in kinds}
    mappings = {kind: _engine_mappings(unit_id, kind) for kind in kinds}
    return FitConfig(
        profile_rulesets=rulesets[PROFILE],
        account_rulesets=rulesets.get(ACCOUNT, ()),
        lead_mappings=mappings[PROFILE],
        account_mappings=mappings.get(ACCOUNT, ()),
        abm=abm,
    )


def engine_rule(rule: FitRule) -> EngineRule:
    value = None if rule.condition in VALUELESS_CONDITIONS else rule.comparison_value
    return EngineRule(rule.pk, rule.property_name, rule.condition, value, rule.weight)


def _engine_rulesets(unit_id: str, kind: FitKind) -> tuple[EngineRuleset, ...]:
    enabled = list(
        kind.ruleset_model.objects.for_ou(unit_id)
        .filter(enabled=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    rules: dict[int, list[EngineRule]] = {pk: [] for pk in enabled}
    for rule in (
        kind.rule_model.objects.unscoped().filter(ruleset_id__in=enabled).order_by("ui_order", "id")
    ):
        rules[rule.ruleset_id].append(engine_rule(rule))
    return tuple(EngineRuleset(pk, tuple(rules[pk])) for pk in enabled)


def _engine_mappings(unit_id: str, kind: FitKind) -> tuple[FieldMapping, ...]:
    return tuple(
        FieldMapping(m.source_field, m.target_property, m.update_behavior)
        for m in kind.mapping_model.objects.for_ou(unit_id).filter(active=True).order_by("id")
    )


# --- Scores of one lead or account ----------------------------------------------------------


@dataclass(frozen=True)
class FitScoreView:
    ruleset_id: str
    name: str
    is_primary: bool
    score: int


@dataclass(frozen=True)
class FitScores:
    """The scores of a lead (account) in the OU's enabled rulesets of a kind; `score` and
    `level` are the primary ruleset's (None when the OU has no enabled primary one)."""

    score: int | None
    level: str | None
    scores: list[FitScoreView] = field(default_factory=list)


def fit_scores_of(*, ou: OrgUnit, kind: FitKind, subject: Lead | Account) -> FitScores:
    """Stored scores; a ruleset with no stored score for the subject yet (a lead created by
    ingestion whose events are not scored yet) is computed from the metadata here."""
    rulesets = list(fit_rulesets_list(ou=ou, kind=kind).filter(enabled=True))
    if not rulesets:
        return FitScores(score=None, level=None)
    stored = dict(
        kind.score_model.objects.unscoped()
        .filter(**{kind.subject_column: subject.pk}, ruleset__in=rulesets)
        .values_list("ruleset_id", "score")
    )
    missing = [ruleset for ruleset in rulesets if ruleset.pk not in stored]
    if missing:
        rules: dict[int, list[EngineRule]] = {ruleset.pk: [] for ruleset in missing}
        for rule in kind.rule_model.objects.unscoped().filter(ruleset__in=missing).order_by("id"):
            rules[rule.ruleset_id].append(engine_rule(rule))
        stored.update(
            profile_scores(
                subject.metadata, [EngineRuleset(pk, tuple(r)) for pk, r in rules.items()]
            )
        )
    views = [
        FitScoreView(ruleset.public_id, ruleset.name, ruleset.is_primary, stored[ruleset.pk])
        for ruleset in rulesets
    ]
    primary = next((view for view in views if view.is_primary), None)
    if primary is None:
        return FitScores(score=None, level=None, scores=views)
    levels = [
        LevelRange(level.name, level.min_score, level.max_score)
        for level in levels_list(ou=ou, kind=kind.level_kind)
    ]
    return FitScores(score=primary.score, level=level_for(primary.score, levels), scores=views)


@dataclass(frozen=True)
class LeadProfile:
    lead: Lead
    fit: FitScores


def lead_profile_get(*, ou: OrgUnit, lead_id: str) -> LeadProfile:
    lead = lead_get(ou=ou, lead_id=lead_id)
    return LeadProfile(lead=lead, fit=fit_scores_of(ou=ou, kind=PROFILE, subject=lead))


def account_fit_get(*, ou: OrgUnit, account: Account) -> FitScores:
    """The account's score and level; none unless the organization has ABM."""
    if not OrgUnit.objects.filter(pk=ou.pk, org__abm_enabled=True).exists():
        return FitScores(score=None, level=None)
    return fit_scores_of(ou=ou, kind=ACCOUNT, subject=account)
