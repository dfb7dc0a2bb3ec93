"""Rescoring (POST /rulesets/{id}/rescore): every lead of the OU replayed from its stored
events under the current configuration, as a durable job (leadvibe.jobs) that reports its
progress.

The job walks the OU's leads in lead-key order, a chunk per transaction, and records in the
chunk's transaction the last lead done, so that a job whose worker died resumes where it
stopped. Replays are idempotent, so a chunk done twice changes nothing.
"""

from functools import partial

from leadvibe.db import atomic_retrying_conflicts, keys_after
from leadvibe.jobs import Heartbeat, JobHandler
from orgunits.models import Member, OrgUnit
from scoring.extension_points import LEADS_RESCORED, LeadsRescored
from scoring.models import Lead, RescoreJob, Ruleset
from scoring.selectors.config import config_object_get
from scoring.services.job_requests import job_pending_or_enqueued
from scoring.services.scoring_stage import leads_replay

CHUNK = 500


def rescore_start(*, ou: OrgUnit, member: Member | None, ruleset_id: str) -> RescoreJob:
    """POST /rulesets/{id}/rescore."""
    ruleset = config_object_get(Ruleset, ou=ou, public_id=ruleset_id)
    return ou_rescore_start(ou=ou, member=member, ruleset=ruleset)


def ou_rescore_start(
    *, ou: OrgUnit, member: Member | None = None, ruleset: Ruleset | None = None
) -> RescoreJob:
    """The OU's pending rescore, or a new one (scoring.services.job_requests). `ruleset` only
    records what the job was asked for."""
    return job_pending_or_enqueued(RescoreJob, ou=ou, ruleset=ruleset, created_by=member)


class RescoreJobHandler(JobHandler[RescoreJob]):
    kind = "rescore"
    model = RescoreJob

    def run(self, job: RescoreJob, heartbeat: Heartbeat) -> None:
        leads = Lead.objects.for_ou(job.unit_id)
        if job.progress_total is None:
            heartbeat(progress_total=leads.count())
        while chunk := keys_after(leads, job.last_lead_pk, CHUNK):
            atomic_retrying_conflicts(partial(_chunk_replay, job, chunk, heartbeat))


def _chunk_replay(job: RescoreJob, chunk: list[int], heartbeat: Heartbeat) -> None:
    leads_replay(unit_id=job.unit_id, lead_pks=chunk)
    LEADS_RESCORED.publish(LeadsRescored(unit_id=job.unit_id, lead_pks=tuple(chunk)))
    heartbeat(last_lead_pk=chunk[-1], progress_done=job.progress_done + len(chunk))
