"""The extension points scoring offers the layers above it: segments and triggers act on what
changed a lead in the transaction that changed it (the contract every subscriber keeps is in
`leadvibe.extension_points`).

Segments subscribe before triggers wherever both do: a segment trigger fires on the
membership change the segments subscriber has just written.

- `SCORED_BATCH`: a batch of events was scored (scoring_stage): the lead scores, event scores
  and the batch's field mappings are written, the scoring states not yet. A subscriber keeps
  per-lead memory in `ScoredLead.hook_state[<its name>]`, mutated in place: it is written with
  the states in the statement that writes them anyway, so memory costs no statement.
- `DECAY_APPLIED`: a decay sweep chunk lowered scores (decay_sweep), for the chunk's leads.
- `LEAD_METADATA_CHANGED`: leads' metadata was written outside a scored batch (create, PUT,
  PATCH, applying the profile mappings to stored events). A batch's mappings are in
  `ScoredBatch.remapped_lead_pks`, a merge's in `LeadsMerged`.
- `LEADS_MERGED`: sources merged into a target: their events moved and the target was replayed.
- `LEADS_DELETING`: leads are about to be deleted, with their events, in this transaction:
  rows referencing them go first.
- `LEADS_RESCORED`: a rescore job chunk replayed leads under the current configuration
  (rescore); their scores may have changed, their metadata did not.
- `SCORE_BASIS_CHANGED`: what every lead's `kind` level or primary score is changed at once,
  with no lead written: that kind's levels were edited, the primary ruleset of the kind
  changed, or a fit ruleset's scores were recomputed or dropped.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from leadvibe.extension_points import ExtensionPoint
from scoring import engine
from scoring.models import EngagementEvent


@dataclass(frozen=True, slots=True)
class ScoredLead:
    """What the scoring stage did to one lead of the batch."""

    lead_pk: int
    lead_id: str
    unit_id: str
    # Every ruleset's score before the batch, and the state after it (`state.scores`).
    scores_before: Mapping[int, int]
    state: engine.LeadState
    # The outcomes of `scored_events`, in order: the batch's events, or on a replay (a late
    # event) the lead's whole history.
    outcomes: tuple[engine.EventOutcome, ...]
    scored_events: tuple[engine.EngineEvent, ...]
    events: Mapping[int, EngagementEvent]  # the batch's events of the lead, by seq
    replayed: bool = False
    # Subscribers' memory of the lead, by subscriber; a replayed lead's starts empty.
    hook_state: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScoredBatch:
    leads: tuple[ScoredLead, ...]
    # Leads whose metadata the batch's field mappings changed.
    remapped_lead_pks: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class DecayedLead:
    """A lead of a decay chunk: its primary-ruleset score before and after, and the last DECAY
    event recorded for it."""

    lead_pk: int
    score_before: int
    score_after: int
    last_event_seq: int
    last_event_at_us: int


@dataclass(frozen=True, slots=True)
class DecayApplied:
    org_id: str
    unit_id: str
    primary_ruleset_id: int | None
    leads: tuple[DecayedLead, ...]


@dataclass(frozen=True, slots=True)
class LeadMetadataChanged:
    unit_id: str
    lead_pks: tuple[int, ...]
    cause: Literal["created", "updated", "mapped"]


@dataclass(frozen=True, slots=True)
class LeadsMerged:
    unit_id: str
    target_pk: int
    source_pks: tuple[int, ...]
    target_metadata_changed: bool


@dataclass(frozen=True, slots=True)
class LeadsDeleting:
    unit_id: str
    lead_pks: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LeadsRescored:
    unit_id: str
    lead_pks: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ScoreBasisChanged:
    unit_id: str
    kind: str  # a `Level.Kind`: engagement, profile or account
    # The primary ruleset of the kind changed, so every lead's primary score did (False: only
    # the levels or the rules that derive the scores did).
    primary_changed: bool = False


SCORED_BATCH: ExtensionPoint[ScoredBatch] = ExtensionPoint(
    "scored_batch", order=("segments", "triggers")
)
DECAY_APPLIED: ExtensionPoint[DecayApplied] = ExtensionPoint(
    "decay_applied", order=("segments", "triggers")
)
LEAD_METADATA_CHANGED: ExtensionPoint[LeadMetadataChanged] = ExtensionPoint(
    "lead_metadata_changed", order=("segments",)
)
LEADS_MERGED: ExtensionPoint[LeadsMerged] = ExtensionPoint("leads_merged", order=("segments",))
LEADS_DELETING: ExtensionPoint[LeadsDeleting] = ExtensionPoint(
    "leads_deleting", order=("segments",)
)
LEADS_RESCORED: ExtensionPoint[LeadsRescored] = ExtensionPoint(
    "leads_rescored", order=("segments",)
)
SCORE_BASIS_CHANGED: ExtensionPoint[ScoreBasisChanged] = ExtensionPoint(
    "score_basis_changed", order=("segments",)
)
