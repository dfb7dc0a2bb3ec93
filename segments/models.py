"""Segments: rule-built lists of an OU's leads (architecture.md §8), their rules, the stored
membership and its counts, the membership's entry and exit events, the per-lead memory of
event-metadata rules, and the membership recompute job.

Every row belongs to one OU; reads start from `Model.objects.for_ou(ou)`. Membership rows and
match flags hang off a lead and are written only by whoever holds the lead's lock
(`scoring.services.lead_locks`), inside the transaction that changed what a rule reads.
Membership events name the lead by key and id without a foreign key, so a deleted lead's
`segment_exited` outlives it.
"""

from django.db import models

from leadvibe.jobs import DurableJob
from orgunits.models import Member, OrgUnit
from orgunits.tenancy import ConfigModel, OUOwnedModel, PublicIdMixin
from scoring.models import Lead
from segments import rules


class Segment(ConfigModel):
    ID_PREFIX = "sg_"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "created_at"], name="segment_unit_created")]


class SegmentRule(ConfigModel):
    """One condition of a segment; rules of one `logic_group` share its `logic_op` (AND: all
    hold, OR: one does) and the groups are ANDed. Types and operators: segments.rules."""

    ID_PREFIX = "sgr_"

    class LogicOp(models.TextChoices):
        AND = "AND"
        OR = "OR"

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="rules")
    rule_name = models.CharField(max_length=200, blank=True, default="")
    rule_type = models.CharField(max_length=20, choices=[(t, t) for t in rules.RULE_TYPES])
    field_name = models.CharField(max_length=200, blank=True, default="")
    operator = models.CharField(max_length=24, choices=[(o, o) for o in rules.OPERATORS])
    value = models.TextField(blank=True, default="")
    event_type = models.CharField(max_length=100, blank=True, default="")  # "": any type
    logic_group = models.IntegerField(default=0)
    logic_op = models.CharField(max_length=3, choices=LogicOp.choices, default=LogicOp.AND)
    order_index = models.IntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "segment"], name="segment_rule_unit_segment")]


class SegmentMembership(OUOwnedModel):
    """A lead in a segment since `entered_at`, with the lead's primary engagement score (0
    when none), kept equal to it by whoever writes the score (segments.services.membership),
    so a segment's members are read in score order from one index."""

    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, db_index=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # type: ignore[assignment]  # no column: the unit names the organization
    entered_at = models.DateTimeField()
    score = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # Also the count's and the recompute diff's index.
            models.UniqueConstraint(fields=["segment", "lead"], name="segment_membership_once"),
        ]
        indexes = [
            # A lead's segments (GET /leads/{id}/segments, real-time diffs, deletion).
            models.Index(fields=["lead"], name="segment_membership_lead"),
            # Member pages and exports, highest score first.
            models.Index(fields=["segment", "-score", "lead"], name="segment_membership_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}/{self.lead_id}"


class SegmentMemberCount(OUOwnedModel):
    """A share of a segment's member count, which is the sum of its shares. Whoever writes
    membership rows adds their entries minus exits to the share of its transaction (txid mod
    SHARES) in the same transaction, so counts never scan the membership and concurrent
    scoring batches seldom wait for one counter row."""

    SHARES = 16

    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # type: ignore[assignment]  # no column: the unit names the organization
    share = models.SmallIntegerField()
    members = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "share"], name="segment_member_count_share"),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}/{self.share}: {self.members}"


class SegmentMembershipEvent(OUOwnedModel):
    """A lead entered or left a segment, and why."""

    class Kind(models.TextChoices):
        ENTERED = "segment_entered"
        EXITED = "segment_exited"

    class Cause(models.TextChoices):
        EVENT = "event"
        DECAY = "decay"
        METADATA = "metadata"
        MERGE = "merge"
        DELETED = "deleted"
        RULES_CHANGED = "rules_changed"
        ACTIVATED = "activated"
        RESCORED = "rescored"  # a rescore job replayed the lead under changed rules

    # Causes that are changes of the lead (segment triggers fire for these only).
    LEAD_CAUSES = (Cause.EVENT, Cause.DECAY, Cause.METADATA, Cause.MERGE, Cause.DELETED)

    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # type: ignore[assignment]  # no column: the unit names the organization
    # No foreign key: the exit of a deleted lead outlives it.
    lead_pk = models.BigIntegerField()
    lead_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    cause = models.CharField(max_length=16, choices=Cause.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            # GET /segments/{id}/events, newest first.
            models.Index(fields=["segment", "-at", "-id"], name="segment_event_segment_time"),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}/{self.lead_id}: {self.kind} ({self.cause})"


class SegmentEventMatch(OUOwnedModel):
    """An `event_metadata` rule has matched one of the lead's unsuppressed events: the rule
    holds for the lead from then on, so an event costs the rules of its type, never a rescan
    of the lead's history."""

    id = models.BigAutoField(primary_key=True)
    rule = models.ForeignKey(SegmentRule, on_delete=models.CASCADE, db_index=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, db_index=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, db_index=False)
    org = None  # type: ignore[assignment]  # no column: the unit names the organization

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "lead"], name="segment_event_match_once"),
        ]
        indexes = [models.Index(fields=["lead"], name="segment_event_match_lead")]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.lead_id}"


class SegmentRecompute(PublicIdMixin, DurableJob, OUOwnedModel):
    """A recompute of one segment's membership after its rules changed or it was activated
    (segments.services.recompute): leads in key order, a chunk per transaction; progress
    counts leads. A newer job of the same segment supersedes it."""

    ID_PREFIX = "sgj_"

    class Cause(models.TextChoices):
        RULES_CHANGED = "rules_changed"
        ACTIVATED = "activated"

    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, db_index=False)
    cause = models.CharField(max_length=16, choices=Cause.choices)
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    # The last lead done (a resumed job goes on after it).
    last_lead_pk = models.BigIntegerField(default=0)
    entered = models.PositiveIntegerField(default=0)
    exited = models.PositiveIntegerField(default=0)

    class Meta(DurableJob.Meta):
        indexes = [
            *DurableJob.Meta.indexes,
            models.Index(fields=["segment", "-created_at"], name="segment_recompute_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id}: {self.status}"
