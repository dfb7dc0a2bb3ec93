"""The scoring app's models, by concern. Every row belongs to one OU
(`orgunits.tenancy.OUOwnedModel`); reads start from `Model.objects.for_ou(ou)`.

Import models from here (`from scoring.models import Lead`): the modules below are how the
package is laid out, not part of its interface.
"""

from scoring.models.config import (
    AttributeFilter,
    DecayRule,
    EventTypeSetting,
    InorganicFilter,
    Level,
    Rule,
    Ruleset,
    ScoringConfigVersion,
    SurgePolicy,
)
from scoring.models.events import EngagementEvent, Order
from scoring.models.fit import (
    AccountMapping,
    AccountRule,
    AccountRuleset,
    AccountScore,
    FieldMappingConfig,
    FitRule,
    FitRuleset,
    LeadProfileScore,
    ProfileMapping,
    ProfileRule,
    ProfileRuleset,
)
from scoring.models.jobs import (
    AccountBackfill,
    EventBackfill,
    ImportJob,
    LeadDeletion,
    RescoreJob,
)
from scoring.models.leads import Account, Lead, LeadAlias
from scoring.models.scores import EventScore, LeadScore, LeadScoringState, RulesetScore

__all__ = [
    "Account",
    "AccountBackfill",
    "AccountMapping",
    "AccountRule",
    "AccountRuleset",
    "AccountScore",
    "AttributeFilter",
    "DecayRule",
    "EngagementEvent",
    "EventBackfill",
    "EventScore",
    "EventTypeSetting",
    "FieldMappingConfig",
    "FitRule",
    "FitRuleset",
    "ImportJob",
    "InorganicFilter",
    "Lead",
    "LeadAlias",
    "LeadDeletion",
    "LeadProfileScore",
    "LeadScore",
    "LeadScoringState",
    "Level",
    "Order",
    "ProfileMapping",
    "ProfileRule",
    "ProfileRuleset",
    "RescoreJob",
    "Rule",
    "Ruleset",
    "RulesetScore",
    "ScoringConfigVersion",
    "SurgePolicy",
]
