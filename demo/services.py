"""Seeding the demo data set into an OU, and wiping exactly what was seeded.

`demo_seed` writes, in one transaction: the configuration through the configuration services
(two rulesets and their rules, a decay rule, an inorganic filter, the Standard surge policy, a
profile ruleset with rules and mappings, a milestone and a sequence trigger that email, three
segments over the OU's top three engagement levels); the accounts and leads (with an email
and a CRM id alias each, names, companies and titles) in bulk, with their first profile scores
as `lead_create` gives them; then 30 days of events, stored pending with `source=seed` by the
ingestion store after the triggers exist (a trigger concerns only events received after it was
created), so the workers score them as they score any event: rules, surge, the inorganic
filter, profile mappings, triggers and segment membership all run. Nothing writes an
engagement score directly.

What the seed created is listed in the OU's `DemoSeed` row; `demo_wipe` deletes those objects
through the same services (a deleted primary ruleset hands its role on) and answers counts per
kind. Objects a user deleted meanwhile are skipped; what a user added to a seeded object
goes with it (events ingested for a seeded lead, a rule added to a seeded ruleset).

The seed leaves what the OU already had alone: its rulesets keep the primary role (the
seeded "Engagement" ruleset is primary only in an OU without rulesets), its levels stay (the
segments follow them), a stored surge policy stays. Seeding an OU that holds the seed, or
any of its lead ids, aliases, account ids or configuration names, is refused (409 or 400)
with nothing written.

Lock order: the OU's DemoSeed row (a concurrent seed or wipe of the same OU waits), then
what the services called take (the OU's configuration version row, leads in id order).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from demo.dataset import DEFAULT_SEED, DemoLead, demo_dataset
from demo.models import DemoSeed
from leadvibe.exceptions import ConflictError
from orgunits.models import Member, OrgUnit
from scoring.extension_points import LEAD_METADATA_CHANGED, LeadMetadataChanged
from scoring.fit.selectors import PROFILE
from scoring.fit.services.config import (
    fit_mapping_create,
    fit_mapping_delete,
    fit_rule_create,
    fit_ruleset_create,
    fit_ruleset_delete,
)
from scoring.fit.services.scores import fit_scores_recompute
from scoring.ingestion.normalize import normalize_alias
from scoring.ingestion.services.event_store import events_store
from scoring.ingestion.services.events import EventInput, event_prepare
from scoring.models import (
    Account,
    DecayRule,
    EngagementEvent,
    InorganicFilter,
    Lead,
    LeadAlias,
    Level,
    ProfileMapping,
    ProfileRule,
    ProfileRuleset,
    Rule,
    Ruleset,
    SurgePolicy,
)
from scoring.services.decays import decay_create, decay_delete
from scoring.services.filters import inorganic_filter_create, inorganic_filter_delete
from scoring.services.lead_changes import leads_data_delete
from scoring.services.ou_settings import surge_policy_set
from scoring.services.pipeline import ring_doorbell
from scoring.services.rulesets import rule_create, ruleset_create, ruleset_delete
from segments.models import Segment
from segments.services.config import segment_create, segment_delete, segment_rule_create
from triggers.models import Firing, Trigger
from triggers.services.trigger_config import trigger_create, trigger_delete

# (ruleset name, {event type: weight}); the first is the engagement score.
RULESETS: tuple[tuple[str, dict[str, int]], ...] = (
    (
        "Engagement",
        {
            "page_view": 1, "pricing_page_view": 6, "blog_post_read": 2, "case_study_view": 4,
            "content_download": 8, "form_submitted": 10, "demo_requested": 25,
            "free_trial_started": 20, "product_login": 3, "contact_sales": 20, "email_open": 1,
            "email_click": 3, "email_unsubscribe": -10, "webinar_registered": 5,
            "webinar_attended": 12,
        },
    ),
    (
        "Sales readiness",
        {
            "pricing_page_view": 8, "case_study_view": 5, "demo_requested": 40,
            "contact_sales": 30, "free_trial_started": 15, "product_login": 2,
        },
    ),
)  # fmt: skip
PROFILE_RULESET = "Ideal customer profile"
# (property, condition, comparison value, weight)
PROFILE_RULES = (
    ("title", "contains", "VP", 25),
    ("title", "equals", "CMO", 30),
    ("title", "contains", "Director", 20),
    ("title", "contains", "Head of", 20),
    ("title", "contains", "Intern", -10),
    ("company_size", "greater_or_equal", "200", 15),
    ("industry", "equals", "Software", 10),
)
# What form fills tell about the company: event metadata field -> lead property.
PROFILE_MAPPINGS = (
    ("industry", "industry", ProfileMapping.Behavior.SET_ONCE),
    ("company_size", "company_size", ProfileMapping.Behavior.ALWAYS_LATEST),
    ("country", "country", ProfileMapping.Behavior.SET_ONCE),
)
Row = TypeVar("Row", bound=Model)

NOTIFY_EMAIL = "sales-team@leadvibe.example"
SEGMENT_TIERS = 3
# What `demo_wipe` answers, in the order it deletes.
WIPE_KINDS = (
    "triggers", "firings", "segments", "leads", "events", "aliases", "orders", "accounts",
    "rulesets", "rules", "decay_rules", "inorganic_filters", "surge_policies",
    "profile_rulesets", "profile_rules", "profile_mappings",
)  # fmt: skip


@dataclass(frozen=True)
class DemoSeedResult:
    seed: int
    counts: dict[str, int]
    # A seeded lead to try the API on: its id and email alias.
    sample_lead_id: str
    sample_lead_email: str


def demo_seed(*, ou: OrgUnit, member: Member | None, seed: int = DEFAULT_SEED) -> DemoSeedResult:
    """Seed the demo data set into `ou` (see the module docstring); the events are scored by
    the workers after commit."""
    dataset = demo_dataset(seed=seed)
    with transaction.atomic():
        record = _seed_record_create(ou=ou, seed=seed)
        _check_free(
            ou=ou, dataset_leads=dataset.leads, account_ids=[a.account_id for a in dataset.accounts]
        )
        keys: dict[str, list[Any]] = _configuration_create(ou=ou, member=member)
        # Received after the triggers were created: a trigger concerns only such events.
        now = timezone.now()
        accounts = Account.objects.bulk_create(
            Account(
                org_id=ou.org_id,
                unit_id=ou.pk,
                account_id=a.account_id,
                name=a.name,
                metadata=a.metadata,
            )
            for a in dataset.accounts
        )
        account_pks = {account.account_id: account.pk for account in accounts}
        leads = Lead.objects.bulk_create(
            Lead(
                org_id=ou.org_id,
                unit_id=ou.pk,
                lead_id=lead.lead_id,
                metadata=lead.metadata,
                account_id=account_pks.get(lead.account_id or ""),
            )
            for lead in dataset.leads
        )
        LeadAlias.objects.bulk_create(
            LeadAlias(
                org_id=ou.org_id,
                unit_id=ou.pk,
                lead_id=stored.pk,
                kind=kind,
                raw_value=value,
                normalized_value=normalize_alias(kind, value),
            )
            for stored, lead in zip(leads, dataset.leads, strict=True)
            for kind, value in (
                (LeadAlias.Kind.EMAIL, lead.email),
                (LeadAlias.Kind.EXTERNAL_ID, lead.crm_id),
            )
        )
        keys["accounts"] = [a.pk for a in accounts]
        keys["leads"] = [lead.pk for lead in leads]
        # What lead_create does per lead, for all of them: their first profile scores, and
        # the news for the layers above (segments) that their metadata is set.
        fit_scores_recompute(ou=ou, kind=PROFILE)
        LEAD_METADATA_CHANGED.publish(
            LeadMetadataChanged(unit_id=ou.pk, lead_pks=tuple(keys["leads"]), cause="created")
        )
        prepared = [
            event_prepare(
                position,
                EventInput(
                    event_type=event.event_type,
                    metadata=event.metadata,
                    occurred_at=now - event.ago,
                    lead_id=event.lead_id,
                    source=EngagementEvent.Source.SEED,
                ),
                now=now,
            )
            for position, event in enumerate(dataset.events)
        ]
        events_store(ou=ou, events=prepared, now=now, copy=True)
        record.created_keys = keys
        record.save(update_fields=["created_keys"])
        transaction.on_commit(ring_doorbell)
    counts = {kind: len(pks) for kind, pks in keys.items()}
    counts["events"] = len(prepared)
    return DemoSeedResult(
        seed=seed,
        counts=counts,
        sample_lead_id=dataset.leads[0].lead_id,
        sample_lead_email=dataset.leads[0].email,
    )


def _seed_record_create(*, ou: OrgUnit, seed: int) -> DemoSeed:
    already = ConflictError(
        "This OU holds the demo data set already; wipe it first (POST /admin/wipe-seed)."
    )
    if DemoSeed.objects.for_ou(ou).exists():
        raise already
    try:
        with transaction.atomic():
            record: DemoSeed = DemoSeed.objects.create(unit=ou, org_id=ou.org_id, seed=seed)
            return record
    except IntegrityError:
        raise already from None


def _check_free(*, ou: OrgUnit, dataset_leads: list[DemoLead], account_ids: list[str]) -> None:
    """ConflictError when the OU holds a lead id, alias or account id of the data set."""
    aliases = LeadAlias.objects.for_ou(ou)
    emails = [normalize_alias(LeadAlias.Kind.EMAIL, lead.email) for lead in dataset_leads]
    taken = (
        Lead.objects.for_ou(ou)
        .filter(lead_id__in=[lead.lead_id for lead in dataset_leads])
        .exists()
        or aliases.filter(kind=LeadAlias.Kind.EMAIL, normalized_value__in=emails).exists()
        or aliases.filter(
            kind=LeadAlias.Kind.EXTERNAL_ID,
            normalized_value__in=[lead.crm_id for lead in dataset_leads],
        ).exists()
        or Account.objects.for_ou(ou).filter(account_id__in=account_ids).exists()
    )
    if taken:
        raise ConflictError(
            "This OU holds leads, aliases or accounts with the demo data set's ids; seed an "
            "empty OU."
        )


def _configuration_create(*, ou: OrgUnit, member: Member | None) -> dict[str, list[Any]]:
    rulesets = []
    for name, weights in RULESETS:
        ruleset = ruleset_create(ou=ou, member=member, name=name)
        for event_type, weight in weights.items():
            rule_create(
                ou=ou,
                member=member,
                ruleset_id=ruleset.public_id,
                event_type=event_type,
                weight=weight,
            )
        rulesets.append(ruleset)
    decay = decay_create(ou=ou, member=member, inactive_for=7, time_unit="days", decrease=5)
    # A person reads a page every few seconds at most; a crawler follows every link at once.
    bot_filter = inorganic_filter_create(
        ou=ou, member=member, event_type="page_view", count_threshold=8, time_window_ms=30_000
    )
    surge_policies = []
    if not SurgePolicy.objects.for_ou(ou).exists():
        surge_policies.append(surge_policy_set(ou=ou, mode=SurgePolicy.Mode.STANDARD).pk)
    profile = fit_ruleset_create(ou=ou, member=member, kind=PROFILE, name=PROFILE_RULESET)
    for order, (prop, condition, value, weight) in enumerate(PROFILE_RULES):
        fit_rule_create(
            ou=ou, member=member, kind=PROFILE, ruleset_id=profile.public_id, property_name=prop,
            condition=condition, comparison_value=value, weight=weight, ui_order=order,
        )  # fmt: skip
    mappings = [
        fit_mapping_create(
            ou=ou,
            member=member,
            kind=PROFILE,
            source_field=source,
            target_property=target,
            update_behavior=behavior,
        ).pk
        for source, target, behavior in PROFILE_MAPPINGS
    ]
    tiers = list(
        Level.objects.for_ou(ou)
        .filter(kind=Level.Kind.ENGAGEMENT)
        .order_by("-min_score")[:SEGMENT_TIERS]
    )
    triggers = _triggers_create(ou=ou, member=member, top_level=tiers[0])
    segments = []
    for level in reversed(tiers):
        segment = segment_create(
            ou=ou, member=member, name=f"{level.name} leads",
            description=f"Leads whose engagement level is {level.name}",
        )  # fmt: skip
        segment_rule_create(
            ou=ou, member=member, segment_id=segment.public_id, rule_name=f"Level {level.name}",
            rule_type="engagement_level", operator="equals", value=level.name,
        )  # fmt: skip
        segments.append(segment.pk)
    return {
        "rulesets": [r.pk for r in rulesets],
        "decay_rules": [decay.pk],
        "inorganic_filters": [bot_filter.pk],
        "surge_policies": surge_policies,
        "profile_rulesets": [profile.pk],
        "profile_mappings": mappings,
        "triggers": triggers,
        "segments": segments,
    }


def _triggers_create(*, ou: OrgUnit, member: Member | None, top_level: Level) -> list[int]:
    milestone = trigger_create(
        ou=ou, member=member, kind=Trigger.Kind.MILESTONE,
        name=f"Lead reached {top_level.name}",
        description="Tell sales when a lead's engagement score enters the top level.",
        score_threshold=top_level.min_score, fire_mode=Trigger.FireMode.ONCE,
        emails=[NOTIFY_EMAIL],
    )  # fmt: skip
    sequence = trigger_create(
        ou=ou, member=member, kind=Trigger.Kind.SEQUENCE,
        name="Pricing, then a demo request",
        description="A lead looked at pricing and asked for a demo within a week.",
        event_steps=["pricing_page_view", "demo_requested"], ordered=True,
        window_seconds=7 * 86400, window_unit=Trigger.WindowUnit.DAYS,
        fire_mode=Trigger.FireMode.ONCE, emails=[NOTIFY_EMAIL],
    )  # fmt: skip
    return [milestone.pk, sequence.pk]


def demo_wipe(*, ou: OrgUnit) -> dict[str, int]:
    """Delete what the seed created in `ou` (see the module docstring); counts per kind, all
    0 when the OU holds no seed."""
    counts = dict.fromkeys(WIPE_KINDS, 0)
    with transaction.atomic():
        record = DemoSeed.objects.for_ou(ou).select_for_update().first()
        if record is None:
            return counts
        keys: dict[str, list[Any]] = record.created_keys
        triggers = list(Trigger.objects.for_ou(ou).filter(pk__in=keys.get("triggers", [])))
        counts["firings"] = Firing.objects.for_ou(ou).filter(trigger__in=triggers).count()
        for trigger in triggers:
            trigger_delete(ou=ou, kind=trigger.kind, trigger_id=trigger.public_id)
        counts["triggers"] = len(triggers)
        counts["segments"] = _each_deleted(
            Segment.objects.for_ou(ou).filter(pk__in=keys.get("segments", [])),
            lambda segment: segment_delete(ou=ou, segment_id=segment.public_id),
        )
        counts.update(leads_data_delete(unit_id=ou.pk, lead_pks=keys.get("leads", [])))
        counts["accounts"] = (
            Account.objects.for_ou(ou)
            .filter(pk__in=keys.get("accounts", []))
            .delete()[1]
            .get(Account._meta.label, 0)
        )
        ruleset_pks = keys.get("rulesets", [])
        counts["rules"] = Rule.objects.for_ou(ou).filter(ruleset__in=ruleset_pks).count()
        counts["rulesets"] = _each_deleted(
            Ruleset.objects.for_ou(ou).filter(pk__in=ruleset_pks),
            lambda ruleset: ruleset_delete(ou=ou, ruleset_id=ruleset.public_id),
        )
        counts["decay_rules"] = _each_deleted(
            DecayRule.objects.for_ou(ou).filter(pk__in=keys.get("decay_rules", [])),
            lambda decay: decay_delete(ou=ou, decay_id=decay.public_id),
        )
        counts["inorganic_filters"] = _each_deleted(
            InorganicFilter.objects.for_ou(ou).filter(pk__in=keys.get("inorganic_filters", [])),
            lambda bot_filter: inorganic_filter_delete(ou=ou, filter_id=bot_filter.public_id),
        )
        counts["surge_policies"] = (
            SurgePolicy.objects.for_ou(ou).filter(pk__in=keys.get("surge_policies", [])).delete()[0]
        )
        profile_pks = keys.get("profile_rulesets", [])
        counts["profile_rules"] = (
            ProfileRule.objects.for_ou(ou).filter(ruleset__in=profile_pks).count()
        )
        counts["profile_rulesets"] = _each_deleted(
            ProfileRuleset.objects.for_ou(ou).filter(pk__in=profile_pks),
            lambda ruleset: fit_ruleset_delete(ou=ou, kind=PROFILE, ruleset_id=ruleset.public_id),
        )
        counts["profile_mappings"] = _each_deleted(
            ProfileMapping.objects.for_ou(ou).filter(pk__in=keys.get("profile_mappings", [])),
            lambda mapping: fit_mapping_delete(ou=ou, kind=PROFILE, mapping_id=mapping.public_id),
        )
        record.delete()
    return counts


def _each_deleted(rows: QuerySet[Row], delete: Callable[[Row], None]) -> int:
    """Delete each of `rows` with `delete(row)` (its service); how many there were."""
    found = list(rows.order_by("pk"))
    for row in found:
        delete(row)
    return len(found)
