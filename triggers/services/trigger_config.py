"""Trigger configuration (architecture.md §5): creating, changing and deleting triggers of
each kind.

A trigger is addressed through its kind: the id of a trigger of another kind, like one of
another OU, is not found. Every write bumps the OU's configuration version in its transaction,
since the pipeline caches the OU's compiled triggers under that version.

URLs a trigger sends to (its webhook, a Teams incoming webhook) must pass the SSRF guard when
they are saved. They are resolved before the transaction opens, so a slow DNS answer never
holds the OU's configuration lock. Email templates must compile; a profile filter reads the
primary profile score (`score`) or the score of one of the OU's profile rulesets (`prs_3`); a
segment trigger's `segment_id` names a segment of the OU (`sg_3`, stored as its key).
"""

from django.db import transaction

from orgunits.models import Member, OrgUnit
from scoring.models import ProfileRuleset
from scoring.selectors.leads import lead_get
from scoring.services.scoring_config import config_invalid, scoring_config_changed
from segments.models import Segment
from triggers.models import Trigger
from triggers.selectors import trigger_get
from triggers.services.outbound import OutboundURLRefused, resolve_outbound_url
from triggers.services.simulation import TriggerSimulation, simulate_trigger
from triggers.services.templating import NotificationTemplateError, check_template

Kind = Trigger.Kind

DESTINATION_FIELDS = frozenset(
    {
        "webhook_url",
        "emails",
        "email_subject",
        "email_preheader",
        "email_message",
        "slack_target_kind",
        "slack_target_id",
        "teams_target_kind",
        "teams_target_id",
    }
)
# The fields each kind of trigger is configured with.
KIND_FIELDS: dict[str, set[str]] = {
    Kind.MILESTONE: {"event_type", "score_threshold", "fire_mode", "cooldown_seconds"},
    Kind.SEQUENCE: {
        "event_steps",
        "window_seconds",
        "window_unit",
        "ordered",
        "fire_mode",
        "profile_filters",
        "lead_attribute_filters",
        "hubspot_sync",
    },
    Kind.PATTERN: {"conditions", "window_seconds", "window_unit"},
    Kind.SURGE: {"event_type", "window_seconds", "window_unit", "threshold_count"},
    Kind.SEGMENT: {"segment_id", "segment_direction", "fire_mode", "cooldown_seconds"},
}
_COMMON_FIELDS = {"name", "description", "active", *DESTINATION_FIELDS}
_TEMPLATE_FIELDS = ("email_subject", "email_preheader", "email_message")
PRIMARY_PROFILE_SCORE = "score"


def trigger_create(*, ou: OrgUnit, member: Member | None, kind: str, **fields) -> Trigger:
    """A trigger of `kind` configured with `fields` (those of KIND_FIELDS[kind] and the common
    ones: name, description, active and the destinations)."""
    _check_fields_apply(kind, fields)
    _check_templates(fields)
    _check_outbound_urls(fields)
    with transaction.atomic():
        scoring_config_changed(ou)
        _check_profile_filters(ou, fields)
        _resolve_segment(ou, fields)
        trigger = Trigger(org_id=ou.org_id, unit=ou, kind=kind, created_by=member)
        _apply(trigger, fields)
        trigger.updated_by = member
        trigger.save()
    return trigger


def trigger_update(
    *, ou: OrgUnit, member: Member | None, kind: str, trigger_id: str, **changes
) -> Trigger:
    """Change the given fields of the OU's trigger of `kind` named `trigger_id`."""
    _check_fields_apply(kind, changes)
    _check_templates(changes)
    _check_outbound_urls(changes)
    with transaction.atomic():
        scoring_config_changed(ou)
        _check_profile_filters(ou, changes)
        _resolve_segment(ou, changes)
        trigger = trigger_get(ou=ou, kind=kind, trigger_id=trigger_id)
        _apply(trigger, changes)
        trigger.updated_by = member
        trigger.save()
    return trigger


@transaction.atomic
def trigger_delete(*, ou: OrgUnit, kind: str, trigger_id: str) -> None:
    """Delete the trigger with what it fired and the deliveries of those firings."""
    scoring_config_changed(ou)
    trigger_get(ou=ou, kind=kind, trigger_id=trigger_id).delete()


def _check_fields_apply(kind: str, fields: dict) -> None:
    unknown = set(fields) - _COMMON_FIELDS - KIND_FIELDS[kind]
    if unknown:
        raise TypeError(f"{kind} triggers have no field {', '.join(sorted(unknown))}")


def _check_templates(fields: dict) -> None:
    for name in _TEMPLATE_FIELDS:
        if fields.get(name):
            try:
                check_template(fields[name])
            except NotificationTemplateError as invalid:
                raise config_invalid(name, f"Not a valid template: {invalid}") from invalid


def _check_profile_filters(ou: OrgUnit, fields: dict) -> None:
    for index, condition in enumerate(fields.get("profile_filters", ())):
        field = condition["field"]
        pk = ProfileRuleset.pk_from_public_id(field)
        if field == PRIMARY_PROFILE_SCORE or (
            pk is not None and ProfileRuleset.objects.for_ou(ou).filter(pk=pk).exists()
        ):
            continue
        raise config_invalid(
            "profile_filters",
            f"Item {index}: field must be {PRIMARY_PROFILE_SCORE!r} (the primary profile "
            f"score) or a profile ruleset of the OU such as {ProfileRuleset.ID_PREFIX}3.",
        )


def _resolve_segment(ou: OrgUnit, fields: dict) -> None:
    """`segment_id`, a public id, becomes the key of the OU's segment it names."""
    if "segment_id" not in fields:
        return
    pk = Segment.pk_from_public_id(fields["segment_id"])
    if pk is None or not Segment.objects.for_ou(ou).filter(pk=pk).exists():
        raise config_invalid(
            "segment_id", f"Not a segment of this OU (a segment id such as {Segment.ID_PREFIX}3)."
        )
    fields["segment_id"] = pk


def _check_outbound_urls(fields: dict) -> None:
    for name in ("webhook_url", "teams_target_id"):
        if fields.get(name):
            try:
                resolve_outbound_url(fields[name])
            except OutboundURLRefused as refused:
                raise config_invalid(name, str(refused)) from refused


def _apply(trigger: Trigger, changes: dict) -> None:
    """Set the changes and check the destinations they leave the trigger with."""
    for name, value in changes.items():
        setattr(trigger, name, value)
    if "emails" in changes:
        trigger.emails = list(dict.fromkeys(trigger.emails))
    if "webhook_url" in changes:
        # A URL saved again is tried again, even one whose receiver had answered 410.
        trigger.webhook_disabled_at = None
    for kind_field, id_field in (
        ("slack_target_kind", "slack_target_id"),
        ("teams_target_kind", "teams_target_id"),
    ):
        if bool(getattr(trigger, kind_field)) != bool(getattr(trigger, id_field)):
            raise config_invalid(id_field, f"{kind_field} and {id_field} go together.")
    if trigger.kind == Kind.SURGE and bool(trigger.webhook_url) == bool(trigger.emails):
        raise config_invalid(
            "webhook_url",
            "A surge trigger has exactly one destination: give webhook_url or emails.",
        )


def trigger_simulate(
    *, ou: OrgUnit, kind: str, trigger_id: str, lead_id: str | None, days: int
) -> TriggerSimulation:
    """What the OU's trigger would have fired over the last `days` days, for one lead of the
    OU (NotFoundError when it has none such) or for its leads active in that period."""
    trigger = trigger_get(ou=ou, kind=kind, trigger_id=trigger_id)
    lead = lead_get(ou=ou, lead_id=lead_id) if lead_id is not None else None
    return simulate_trigger(trigger, lead=lead, days=days)
