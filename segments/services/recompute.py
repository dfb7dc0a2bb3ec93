"""The membership recompute job (leadvibe.jobs): after a segment's rules changed or it was
activated, its stored membership is diffed against the SQL back end's evaluation, a chunk of
leads (in key order) per transaction, recording `rules_changed` / `activated` entries and
exits. The first chunk first sets the match flags of the segment's event-metadata rules from
the stored events (events scored later set them in the pipeline). Each chunk is one statement
(segments.services.membership.segment_range_recompute), which also copies the members' primary
scores onto their membership rows: after a primary ruleset switch every active segment is
recomputed for that.

A newer job of the same segment supersedes this one, and deactivation ends it: it stops at
its next chunk. Each chunk waits for its leads' locks in id order (scoring.services.
lead_locks), then writes their membership; its heartbeat, last, locks the job row. A chunk
done twice changes nothing: the diff is against the stored membership.
"""

from django.db import transaction
from django.db.models import QuerySet

from leadvibe.jobs import Heartbeat, JobHandler
from scoring.models import Lead
from scoring.services.lead_locks import leads_range_lock
from segments.models import Segment, SegmentRecompute
from segments.rules import EVENT_METADATA
from segments.selectors import active_rule_specs
from segments.services.membership import event_matches_rebuild, segment_range_recompute

# Leads a chunk locks and recomputes in one statement; its fixed costs (the rules, the levels,
# a commit) are paid a few dozen times over a million leads.
CHUNK_LEADS = 20_000


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
        rules = active_rule_specs(unit_id=job.unit_id, segment_pks=[segment.pk])[segment.pk]
        if job.progress_total is None:
            event_rules = [rule for rule in rules if rule.rule_type == EVENT_METADATA]
            event_matches_rebuild(unit_id=job.unit_id, rules=event_rules)
            heartbeat(progress_total=Lead.objects.for_ou(job.unit_id).count())
            return True
        chunk = leads_range_lock(unit_id=job.unit_id, after=job.last_lead_pk, limit=CHUNK_LEADS)
        if chunk is None:
            heartbeat()
            return False
        count, last = chunk
        changes = segment_range_recompute(
            unit_id=job.unit_id,
            segment_pk=segment.pk,
            rules=rules,
            lead_pk_range=(job.last_lead_pk, last),
            cause=job.cause,
        )
        entered = sum(1 for change in changes if change.entered)
        heartbeat(
            last_lead_pk=last,
            progress_done=job.progress_done + count,
            entered=job.entered + entered,
            exited=job.exited + len(changes) - entered,
        )
        return True
