"""The scoring engine: architecture.md §4 as pure Python, with no database, Django or clock.

`score_event` applies one event to a lead's `LeadState` and says what it scored;
`score_stream` is the reference scorer, the canonical score of a lead: its stored events
replayed in `(occurred_at, seq)` order from an empty state. The batch pipeline, replays and
rescoring all run these two functions, so the incremental scores and the replay agree by
construction; the property tests hold the pipeline (batches, persistence of the state,
concurrency, late events) to that.
"""

from scoring.engine.config import (
    AttributeFilter,
    Condition,
    EventTypePolicy,
    InorganicFilter,
    Rule,
    Ruleset,
    ScoringConfig,
    SurgePolicy,
)
from scoring.engine.scorer import (
    DECAY_EVENT_TYPE,
    EngineEvent,
    EventOutcome,
    LeadState,
    RulesetScore,
    ScoreKind,
    Suppression,
    score_event,
    score_stream,
)

__all__ = [
    "DECAY_EVENT_TYPE",
    "AttributeFilter",
    "Condition",
    "EngineEvent",
    "EventOutcome",
    "EventTypePolicy",
    "InorganicFilter",
    "LeadState",
    "Rule",
    "Ruleset",
    "RulesetScore",
    "ScoreKind",
    "ScoringConfig",
    "Suppression",
    "SurgePolicy",
    "score_event",
    "score_stream",
]
