"""Settings that steer scoring: the OU's surge policy (§4.4), the scoring settings (the
organization's allow_negative_scores and abm_enabled, the OU's session timeout) and the OU's
event-type settings (§4.1), with the deletion of all events of a type."""

from decimal import Decimal

from django.db import connection, transaction

from leadvibe.exceptions import PermissionDeniedError
from orgunits.models import Organization, OrgUnit
from orgunits.services import org_unit_session_timeout_set, organization_scoring_settings_set
from scoring.models import EngagementEvent, EventScore, EventTypeSetting, SurgePolicy
from scoring.selectors.config import (
    DEFAULT_SURGE_MODE,
    EventTypeDeletion,
    event_type_setting_get,
)
from scoring.services.rescore import ou_rescore_start
from scoring.services.scoring_config import (
    config_invalid,
    scoring_config_changed,
    scoring_config_changed_for_org,
)


@transaction.atomic
def surge_policy_set(*, ou: OrgUnit, **changes) -> SurgePolicy:
    """Create or change the OU's policy: any of mode, bands (`[{"min_events",
    "multiplier"}]`), idle_reset_seconds (None: the OU's session timeout) and
    multiplier_cap. What is not given keeps its stored value (or the Standard defaults). The
    custom mode needs bands; the bands of the other modes are kept for a later custom mode."""
    scoring_config_changed(ou)
    policy = SurgePolicy.objects.for_ou(ou).select_for_update().first()
    if policy is None:
        policy = SurgePolicy(unit=ou, org_id=ou.org_id, mode=DEFAULT_SURGE_MODE)
    if "bands" in changes:
        changes["bands"] = _bands(changes["bands"])
    for name, value in changes.items():
        setattr(policy, name, value)
    if policy.mode == SurgePolicy.Mode.CUSTOM and not policy.bands:
        raise config_invalid("bands", "The custom mode needs at least one band.")
    policy.save()
    return policy


def _bands(bands: list[dict]) -> list[dict]:
    """Bands stored by min_events, multipliers as JSON numbers; min_events must differ."""
    seen: set[int] = set()
    stored = []
    for band in sorted(bands, key=lambda b: b["min_events"]):
        if band["min_events"] in seen:
            raise config_invalid(
                "bands", f"Two bands start at min_events {band['min_events']}: keep one."
            )
        seen.add(band["min_events"])
        multiplier = Decimal(band["multiplier"])
        stored.append({"min_events": band["min_events"], "multiplier": float(multiplier)})
    return stored


@transaction.atomic
def scoring_settings_set(
    *,
    ou: OrgUnit,
    org_admin: bool,
    allow_negative_scores: bool | None = None,
    abm_enabled: bool | None = None,
    session_timeout_minutes: int | None = None,
) -> None:
    """Change the given settings (None: keep). The organization's fields apply to all its OUs
    and only an org admin may change them (the same value may be sent by anyone)."""
    unit = OrgUnit.objects.select_for_update().get(pk=ou.pk)
    org = Organization.objects.select_for_update().get(pk=ou.org_id)
    new_negative = (
        org.allow_negative_scores if allow_negative_scores is None else allow_negative_scores
    )
    new_abm = org.abm_enabled if abm_enabled is None else abm_enabled
    org_changes = (new_negative, new_abm) != (org.allow_negative_scores, org.abm_enabled)
    if org_changes and not org_admin:
        raise PermissionDeniedError(
            "Only organization admins may change allow_negative_scores and abm_enabled"
        )
    if org_changes:
        # Bumps this OU too; first, so that its lock is taken in the same order as others.
        scoring_config_changed_for_org(org)
        organization_scoring_settings_set(
            org=org, allow_negative_scores=new_negative, abm_enabled=new_abm
        )
    if session_timeout_minutes is not None:
        if not org_changes:
            scoring_config_changed(unit)
        org_unit_session_timeout_set(unit=unit, minutes=session_timeout_minutes)


# --- Event-type settings --------------------------------------------------------------------


@transaction.atomic
def event_type_setting_set(*, ou: OrgUnit, event_type: str, **changes) -> EventTypeSetting:
    """Set any of hidden and max_processing_scope of a type, creating its setting when the OU
    has none: a type may be hidden or scoped before its first event arrives."""
    scoring_config_changed(ou)
    setting, _ = EventTypeSetting.objects.for_ou(ou).update_or_create(
        unit=ou, event_type=event_type, defaults={"org_id": ou.org_id, **changes}
    )
    return setting


@transaction.atomic
def event_type_events_delete(*, ou: OrgUnit, event_type: str) -> EventTypeDeletion:
    """Delete every event of the type in the OU with its event scores, in two statements
    whatever their number; NotFoundError for a type the OU does not know. The setting of
    the type stays; a rescore job then recomputes the OU's scores from the events that
    remain. (Statements, not Django's cascade, which would load every event: a table that
    comes to reference events must be cleared here too.)"""
    event_type_setting_get(ou=ou, event_type=event_type)
    events = EngagementEvent._meta.db_table
    scores = EventScore._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {scores} WHERE event_id IN ("  # noqa: S608 - our table names
            f"SELECT seq FROM {events} WHERE unit_id = %s AND event_type = %s)",
            [ou.pk, event_type],
        )
        scores_deleted = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {events} WHERE unit_id = %s AND event_type = %s",  # noqa: S608
            [ou.pk, event_type],
        )
        events_deleted = cursor.rowcount
    if events_deleted:
        ou_rescore_start(ou=ou)
    return EventTypeDeletion(events_count=events_deleted, event_scores_count=scores_deleted)
