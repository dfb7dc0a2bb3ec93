"""Changes to stored events after ingestion: deletion."""

from orgunits.models import OrgUnit
from scoring.models import EngagementEvent


def events_delete(*, ou: OrgUnit, seqs: list[int]) -> int:
    """Delete those of the given events that belong to the OU; returns how many were deleted.

    Ids of other OUs' events, or of no event, are skipped silently. Lead scores are not
    recomputed here.
    """
    _, per_model = EngagementEvent.objects.for_ou(ou).filter(seq__in=seqs).delete()
    return per_model.get(EngagementEvent._meta.label, 0)
