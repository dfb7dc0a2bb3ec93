"""The membership recompute job (leadvibe.jobs): after a segment's rules changed or it was
activated, its stored membership is diffed against the SQL back end's evaluation, a chunk of
leads (in key order) per transaction, recording `rules_changed` / `activated` entries and
exits. The first chunk first sets the match flags of the segment's event-metadata rules from
the stored events (events scored later set them in the pipeline). Each chunk also copies its
leads' primary scores onto their membership rows: after a primary ruleset switch every active
segment is recomputed for that.

A newer job of the same segment supersedes this one, and deactivation ends it: it stops at
its next chunk. Each chunk waits for its leads' locks in id order (scoring.services.
lead_locks), then writes their membership; its heartbeat, last, locks the job row. A chunk
done twice changes nothing: the diff is against the stored membership.
"""

from django.db import transaction
from django.db.models import QuerySet

from leadvibe.jobs import Heartbeat, JobHandler
from scoring.models import Lead
from scoring.services.lead_locks import leads_lock
from segments.extension_points import MembershipChange
from segments.models import Segment, SegmentMembership, SegmentRecompute
from segments.rules import EVENT_METADATA
from segments.selectors import active_rule_specs, members_evaluated, segment_context
from segments.services.membership import (
    event_matches_rebuild,
    member_scores_sync,
    membership_changes_apply,
)

CHUNK_LEADS = 5000


class SegmentRecomputeHandler(JobHandler[SegmentRecompute]):
    kind = "segment_recompute"
    model = SegmentRecompute

    def run(self, job: SegmentRecompute, heartbeat: Heartbeat) -> None:
        while _chunk(job, heartbeat):
            pass


def _superseded(job: SegmentRecompute) -> bool:
    jobs: QuerySet[SegmentRecompute] = SegmentRecompute.objects.for_ou(job.unit_id)
    return jobs.filter(segment_id=job.segment_id, id__gt=job.pk).exists()


def _chunk(job: SegmentRecompute, heartbeat: Heartbeat) -> bool:
    """One chunk; False when the job is done."""
    with transaction.atomic():
        segment = Segment.objects.for_ou(job.unit_id).filter(pk=job.segment_id).first()
        if segment is None or not segment.active or _superseded(job):
            heartbeat()
            return False
        leads = Lead.objects.for_ou(job.unit_id)
        rules = active_rule_specs(unit_id=job.unit_id, segment_pks=[segment.pk])[segment.pk]
        if job.progress_total is None:
            event_rules = [rule for rule in rules if rule.rule_type == EVENT_METADATA]
            event_matches_rebuild(unit_id=job.unit_id, rules=event_rules)
            heartbeat(progress_total=leads.count())
            return True
        chunk = list(
            leads.filter(id__gt=job.last_lead_pk)
            .order_by("id")
            .values_list("id", flat=True)[:CHUNK_LEADS]
        )
        if not chunk:
            heartbeat()
            return False
        leads_lock(lead_pks=chunk)
        span = (job.last_lead_pk, chunk[-1])
        wanted = set(
            members_evaluated(
                context=segment_context(unit_id=job.unit_id), rules=rules, lead_pk_range=span
            )
        )
        stored = set(
            SegmentMembership.objects.for_ou(job.unit_id)
            .filter(segment=segment, lead_id__gt=span[0], lead_id__lte=span[1])
            .values_list("lead_id", flat=True)
        )
        changed = (wanted - stored) | (stored - wanted)
        lead_ids = dict(leads.filter(id__in=changed).values_list("id", "lead_id"))
        changes = [
            MembershipChange(segment.pk, pk, lead_ids[pk], entered=pk in wanted)
            for pk in sorted(changed)
        ]
        membership_changes_apply(unit_id=job.unit_id, changes=changes, cause=job.cause)
        member_scores_sync(unit_id=job.unit_id, lead_pks=chunk)  # after a primary switch
        heartbeat(
            last_lead_pk=span[1],
            progress_done=job.progress_done + len(chunk),
            entered=job.entered + len(wanted - stored),
            exited=job.exited + len(stored - wanted),
        )
        return True
