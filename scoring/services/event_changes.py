"""Changes to stored events after ingestion: deletion."""

from django.db import transaction

from orgunits.models import OrgUnit
from scoring.models import EngagementEvent
from scoring.services.scoring_stage import leads_replay


@transaction.atomic
def events_delete(*, ou: OrgUnit, seqs: list[int]) -> int:
    """Delete those of the given events that belong to the OU, then replay their leads so
    that their scores are those of the events that remain; returns how many were deleted.

    Ids of other OUs' events, or of no event, are skipped silently.
    """
    doomed = EngagementEvent.objects.for_ou(ou).filter(seq__in=seqs)
    lead_pks = sorted(set(doomed.values_list("lead_id", flat=True)))
    _, per_model = doomed.delete()
    if lead_pks:
        leads_replay(unit_id=ou.pk, lead_pks=lead_pks)
    return per_model.get(EngagementEvent._meta.label, 0)
