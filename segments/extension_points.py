"""The extension point segments offer the layer above them (the contract every subscriber keeps
is in `leadvibe.extension_points`).

- `MEMBERSHIP_CHANGED`: leads entered or left segments; the membership rows and their
  `SegmentMembershipEvent`s are written, in the transaction that changed what the rules read
  (a scored batch, a decay chunk, a metadata write, a merge, a deletion, or a recompute after
  a rule change or an activation); the producer holds the leads' locks.
"""

from dataclasses import dataclass
from datetime import datetime

from leadvibe.extension_points import ExtensionPoint


@dataclass(frozen=True, slots=True)
class MembershipChange:
    segment_pk: int
    lead_pk: int
    lead_id: str
    entered: bool


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    unit_id: str
    # `SegmentMembershipEvent.Cause`: event, decay, metadata, merge, deleted, rules_changed,
    # activated.
    cause: str
    at: datetime
    changes: tuple[MembershipChange, ...]


MEMBERSHIP_CHANGED: ExtensionPoint[MembershipChanged] = ExtensionPoint(
    "segment_membership_changed", order=("triggers",)
)
