"""Reads of an OU's scoring configuration: rulesets and rules, decay rules, inorganic and
attribute filters, levels, the surge policy, scoring settings and event-type settings.

Objects are addressed by their public id (`rs_12`); an id of another OU, or one that cannot
name such an object, is not found (404).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.db.models import Count, QuerySet

from leadvibe.exceptions import NotFoundError
from orgunits.models import Organization, OrgUnit
from orgunits.tenancy import ConfigModel
from scoring.engine.config import PRESETS
from scoring.models import (
    AttributeFilter,
    DecayRule,
    EngagementEvent,
    EventScore,
    EventTypeSetting,
    InorganicFilter,
    Level,
    Rule,
    Ruleset,
    SurgePolicy,
)

# What GET /settings/ou/surge-policy shows when the OU stored none.
DEFAULT_SURGE_MODE = SurgePolicy.Mode.STANDARD


ConfigObject = TypeVar("ConfigObject", bound=ConfigModel)


def config_object_get(model: type[ConfigObject], *, ou: OrgUnit, public_id: str) -> ConfigObject:
    """The OU's object of `model` named by `public_id`; NotFoundError otherwise."""
    pk = model.pk_from_public_id(public_id)
    found = model.objects.for_ou(ou).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFoundError()
    return found


# --- Rulesets and rules ---------------------------------------------------------------------


def rulesets_list(*, ou: OrgUnit) -> QuerySet[Ruleset]:
    """The OU's rulesets, oldest first."""
    return Ruleset.objects.for_ou(ou).order_by("created_at", "id")


def rules_list(*, ou: OrgUnit, ruleset_id: str | None = None) -> QuerySet[Rule]:
    """The OU's rules, or those of one of its rulesets (NotFoundError when it has no such
    ruleset), by ruleset then creation."""
    rules = Rule.objects.for_ou(ou)
    if ruleset_id is not None:
        rules = rules.filter(ruleset=config_object_get(Ruleset, ou=ou, public_id=ruleset_id))
    return rules.order_by("ruleset_id", "id")


# --- Decay rules and filters ----------------------------------------------------------------


def decays_list(*, ou: OrgUnit) -> QuerySet[DecayRule]:
    return DecayRule.objects.for_ou(ou).order_by("id")


def inorganic_filters_list(*, ou: OrgUnit) -> QuerySet[InorganicFilter]:
    return InorganicFilter.objects.for_ou(ou).order_by("id")


def attribute_filters_list(*, ou: OrgUnit) -> QuerySet[AttributeFilter]:
    return AttributeFilter.objects.for_ou(ou).order_by("id")


# --- Levels ---------------------------------------------------------------------------------


def levels_list(*, ou: OrgUnit, kind: str) -> QuerySet[Level]:
    """The OU's levels of one kind, lowest range first."""
    return Level.objects.for_ou(ou).filter(kind=kind).order_by("min_score", "id")


def level_get(*, ou: OrgUnit, kind: str, level_id: str) -> Level:
    level = config_object_get(Level, ou=ou, public_id=level_id)
    if level.kind != kind:
        raise NotFoundError()
    return level


# --- Surge policy and scoring settings ------------------------------------------------------


@dataclass(frozen=True)
class SurgeBand:
    min_events: int
    multiplier: Decimal


@dataclass(frozen=True)
class SurgePolicyView:
    """The policy as the engine applies it: the preset's bands and cap for `standard` and
    `gentle`, none for `off`, the stored ones for `custom`; the OU's session timeout where no
    idle reset was stored."""

    org_id: str
    unit_id: str
    mode: str
    bands: list[SurgeBand]
    idle_reset_seconds: int
    multiplier_cap: Decimal
    stored: bool


def surge_policy_view(*, ou: OrgUnit) -> SurgePolicyView:
    stored = SurgePolicy.objects.for_ou(ou).first()
    mode = stored.mode if stored else DEFAULT_SURGE_MODE
    if mode in PRESETS:
        preset_bands, cap = PRESETS[mode]
        bands = [SurgeBand(k, m) for k, m in preset_bands]
    elif mode == SurgePolicy.Mode.OFF:
        bands, cap = [], Decimal(1)
    else:
        bands = [SurgeBand(b["min_events"], Decimal(str(b["multiplier"]))) for b in stored.bands]
        cap = stored.multiplier_cap
    idle = stored.idle_reset_seconds if stored and stored.idle_reset_seconds else None
    if idle is None:
        timeout = OrgUnit.objects.filter(pk=ou.pk).values_list("session_timeout_minutes")
        idle = timeout.get()[0] * 60
    return SurgePolicyView(
        org_id=ou.org_id,
        unit_id=ou.pk,
        mode=mode,
        bands=sorted(bands, key=lambda band: band.min_events),
        idle_reset_seconds=idle,
        multiplier_cap=Decimal(cap),
        stored=stored is not None,
    )


@dataclass(frozen=True)
class ScoringSettings:
    allow_negative_scores: bool
    abm_enabled: bool
    session_timeout_minutes: int


def scoring_settings_get(*, ou: OrgUnit) -> ScoringSettings:
    """Read from the database, not from `ou` (the request's OU may come from a cache of
    credentials)."""
    unit = OrgUnit.objects.select_related("org").get(pk=ou.pk)
    return ScoringSettings(
        allow_negative_scores=unit.org.allow_negative_scores,
        abm_enabled=unit.org.abm_enabled,
        session_timeout_minutes=unit.session_timeout_minutes,
    )


def abm_enabled(*, ou: OrgUnit) -> bool:
    """Whether the OU's organization has account-based marketing (read from the database)."""
    return Organization.objects.filter(pk=ou.org_id, abm_enabled=True).exists()


# --- Event-type settings --------------------------------------------------------------------


@dataclass(frozen=True)
class EventTypeSettingView:
    event_type: str
    hidden: bool
    max_processing_scope: str
    events_count: int


def event_type_settings_list(*, ou: OrgUnit) -> list[EventTypeSettingView]:
    """Every event type the OU has events of or a setting for, by name, with its setting
    (the defaults when none was stored) and how many events the OU has of it."""
    counts = dict(
        EngagementEvent.objects.for_ou(ou)
        .order_by()
        .values_list("event_type")
        .annotate(n=Count("*"))
        .values_list("event_type", "n")
    )
    stored = {setting.event_type: setting for setting in EventTypeSetting.objects.for_ou(ou)}
    return [
        _setting_view(event_type, stored.get(event_type), counts.get(event_type, 0))
        for event_type in sorted(counts.keys() | stored.keys())
    ]


def event_type_setting_get(*, ou: OrgUnit, event_type: str) -> EventTypeSettingView:
    """The type's setting; NotFoundError when the OU has neither events of it nor a
    setting for it."""
    setting = EventTypeSetting.objects.for_ou(ou).filter(event_type=event_type).first()
    count = EngagementEvent.objects.for_ou(ou).filter(event_type=event_type).count()
    if setting is None and count == 0:
        raise NotFoundError()
    return _setting_view(event_type, setting, count)


def _setting_view(
    event_type: str, setting: EventTypeSetting | None, count: int
) -> EventTypeSettingView:
    return EventTypeSettingView(
        event_type=event_type,
        hidden=setting.hidden if setting else False,
        max_processing_scope=(
            setting.max_processing_scope if setting else EventTypeSetting.Scope.ACTIVATE
        ),
        events_count=count,
    )


@dataclass(frozen=True)
class EventTypeDeletion:
    events_count: int
    event_scores_count: int


def event_type_events_of(*, ou: OrgUnit, event_type: str) -> QuerySet[EngagementEvent]:
    """The OU's events of the type; NotFoundError when the type is unknown to the OU."""
    event_type_setting_get(ou=ou, event_type=event_type)
    return EngagementEvent.objects.for_ou(ou).filter(event_type=event_type)


def event_type_delete_preview(*, ou: OrgUnit, event_type: str) -> EventTypeDeletion:
    """What deleting the type's events would delete."""
    events = event_type_events_of(ou=ou, event_type=event_type)
    return EventTypeDeletion(
        events_count=events.count(),
        event_scores_count=EventScore.objects.unscoped()
        .filter(event__in=events.values("seq"))
        .count(),
    )


def hidden_event_types(*, ou: OrgUnit) -> QuerySet:
    """The names of the OU's hidden event types, as a subquery."""
    return EventTypeSetting.objects.for_ou(ou).filter(hidden=True).values("event_type")
