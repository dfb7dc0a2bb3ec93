from leadvibe.exceptions import NotFoundError
from orgunits.models import OrgUnit
from scoring.models import RescoreJob, Ruleset
from scoring.selectors.config import config_object_get


def rescore_job_latest(*, ou: OrgUnit, ruleset_id: str) -> RescoreJob:
    ruleset = config_object_get(Ruleset, ou=ou, public_id=ruleset_id)
    job = (
        RescoreJob.objects.for_ou(ou)
        .filter(ruleset=ruleset)
        .select_related("ruleset")
        .order_by("-id")
        .first()
    )
    if job is None:
        raise NotFoundError()
    return job
