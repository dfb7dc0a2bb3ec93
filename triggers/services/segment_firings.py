"""Segment triggers (architecture.md §8): a lead entering or leaving a segment fires the OU's
active segment triggers of that segment and direction, subscribed to segments'
MEMBERSHIP_CHANGED as "triggers". Firings and deliveries are written in the producer's
transaction through the same outbox as the other kinds (`evaluation.write_firings`), and sent
after commit.

- Only changes of the lead fire (causes `event`, `decay`, `metadata`, `merge`): a recompute
  after a rule change or an activation, or a rescore under changed rules, never notifies (a
  configuration change is no news about a lead), and a deleted lead has no one to notify
  about.
- A change made before the trigger was created does not concern it.
- `once`: the lead's first entry (or exit) only, kept by the firing's uniqueness (occurrence
  0). `always`: every change (its occurrence is the change's time in microseconds; a lead
  changes a segment at most once per payload), at most once per `cooldown_seconds` per lead.

Per payload, set-based: with a matching trigger, one read of the segments' names, one of the
leads' primary scores, one of the recent firings when a cooldown applies, then the inserts.
No lock is taken: the producer holds the leads.
"""

from django.db.models import Max

from scoring.selectors.leads import lead_scores_in_ruleset
from scoring.services.engine_config import to_us
from segments.extension_points import MembershipChange, MembershipChanged
from segments.models import Segment, SegmentMembershipEvent
from triggers.models import Firing
from triggers.services.evaluation import (
    SegmentTrigger,
    unit_triggers,
    write_firings,
)

Cause = SegmentMembershipEvent.Cause
FIRING_CAUSES = frozenset({Cause.EVENT, Cause.DECAY, Cause.METADATA, Cause.MERGE})
ONCE_OCCURRENCE = 0


def fire_segment_triggers(changed: MembershipChanged) -> None:
    """MEMBERSHIP_CHANGED: fire the segment triggers the changes match."""
    if changed.cause not in FIRING_CAUSES:
        return
    unit = unit_triggers({changed.unit_id})[changed.unit_id]
    matched = [
        (trigger, change)
        for change in changed.changes
        for trigger in unit.segment_triggers.get(change.segment_pk, ())
        if trigger.on_entry == change.entered and trigger.created_at <= changed.at
    ]
    if not matched:
        return
    cooling = _cooling_down(changed, [(t, c) for t, c in matched if t.always and t.cooldown])
    matched = [(t, c) for t, c in matched if (t.id, c.lead_pk) not in cooling]
    if not matched:
        return
    segment_names = dict(
        Segment.objects.for_ou(changed.unit_id)
        .filter(pk__in={change.segment_pk for _, change in matched})
        .values_list("pk", "name")
    )
    scores = (
        lead_scores_in_ruleset(
            ruleset_id=unit.primary_ruleset_id,
            lead_pks=sorted({change.lead_pk for _, change in matched}),
        )
        if unit.primary_ruleset_id is not None
        else {}
    )
    at = changed.at.isoformat()
    rows = []
    for trigger, change in matched:
        kind = Firing.Kind.SEGMENT_ENTERED if change.entered else Firing.Kind.SEGMENT_EXITED
        rows.append(
            {
                "org": unit.org_id,
                "unit": changed.unit_id,
                "trigger": trigger.id,
                "lead": change.lead_pk,
                "kind": kind,
                "occurrence": to_us(changed.at) if trigger.always else ONCE_OCCURRENCE,
                "seq": None,
                "event_type": kind,
                "channel": "",
                "score": scores.get(change.lead_pk),
                "occurred_at": at,
                "received_at": at,
                "payload": {
                    "segment": {
                        "id": f"{Segment.ID_PREFIX}{change.segment_pk}",
                        "name": segment_names.get(change.segment_pk, ""),
                    },
                    "direction": "enter" if change.entered else "exit",
                    "cause": changed.cause,
                    "at": at,
                },
            }
        )
    write_firings(
        rows,
        lead_ids={change.lead_pk: change.lead_id for _, change in matched},
        targets=unit.targets,
    )


def _cooling_down(
    changed: MembershipChanged, matched: list[tuple[SegmentTrigger, MembershipChange]]
) -> set[tuple[int, int]]:
    """(trigger, lead) pairs that fired within their trigger's cooldown before this change."""
    if not matched:
        return set()
    cooldowns = {trigger.id: trigger.cooldown for trigger, _ in matched}
    last_fired = (
        Firing.objects.for_ou(changed.unit_id)
        .filter(
            trigger_id__in=cooldowns,
            lead_id__in={change.lead_pk for _, change in matched},
            occurred_at__gt=changed.at - max(cooldowns.values()),
        )
        .values_list("trigger_id", "lead_id")
        .annotate(last=Max("occurred_at"))
    )
    return {
        (trigger_pk, lead_pk)
        for trigger_pk, lead_pk, last in last_fired
        if changed.at - last < cooldowns[trigger_pk]
    }
