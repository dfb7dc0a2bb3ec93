"""Jobs an OU asks for (rescore, backfills): while a job of the kind is pending (not yet
started) for the OU, asking again answers that one, which will see every change made so far;
otherwise a new one is recorded and sent to a worker after commit (leadvibe.jobs).

The pending job is looked up `FOR UPDATE`, so two requests of one OU never both create one.
"""

from typing import Any, TypeVar

from django.db import transaction

from leadvibe.jobs import DurableJob, job_enqueue
from orgunits.models import OrgUnit
from scoring.models import RescoreJob
from scoring.models.jobs import BackfillJob

RequestedJob = TypeVar("RequestedJob", bound=RescoreJob | BackfillJob)


def job_pending_or_enqueued(
    model: type[RequestedJob], *, ou: OrgUnit, **fields: Any
) -> RequestedJob:
    """The OU's pending job of `model`, or a new one with `fields`, enqueued."""
    with transaction.atomic():
        job: RequestedJob | None = (
            model.objects.for_ou(ou)
            .select_for_update()
            .filter(status=DurableJob.Status.PENDING)
            .first()
        )
        if job is None:
            job = model.objects.create(org_id=ou.org_id, unit=ou, **fields)
            job_enqueue(job)
    return job
