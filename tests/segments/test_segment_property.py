"""Real-time membership equals the SQL back end (architecture.md §8).

Random segments (every rule type, every operator a type takes, two groups each ANDed or
ORed, inactive rules and segments) are created at a random point of a random lead history:
events with metadata stored in rounds and arriving late, processed by the real pipeline in
batches of random size; metadata PATCHes and PUTs; decay sweeps at random times; merges;
events whose field mappings change lead and account metadata. Once everything is
processed, each segment's stored membership must equal what the SQL back end makes of its
rules over the final state (reading the events themselves, not the match flags), and its
membership events must replay to it: per lead, entries and exits alternate, starting with
an entry, and the lead is a member exactly when the last one is an entry.
"""

from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadvibe.jobs import jobs_sweep
from scoring.fit.selectors import ACCOUNT, PROFILE
from scoring.fit.services.config import fit_mapping_create, fit_rule_create, fit_ruleset_create
from scoring.models import Account, EngagementEvent, Lead
from scoring.services.decay_sweep import ou_decay_sweep
from scoring.services.lead_changes import lead_merge, lead_metadata_patch, lead_update
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_batch
from segments.models import SegmentMembership, SegmentMembershipEvent, SegmentRule
from segments.rules import (
    ACCOUNT_LEVEL,
    ACCOUNT_METADATA,
    ALLOWED_OPERATORS,
    ENGAGEMENT_LEVEL,
    ENGAGEMENT_SCORE,
    EVENT_METADATA,
    LEAD_METADATA,
    NUMERIC,
    PROFILE_LEVEL,
    RULE_TYPES,
)
from segments.selectors import (
    active_rule_specs,
    members_evaluated,
    rule_spec,
    segment_context,
    segment_members_export,
)
from segments.services.config import rules_validate, segment_create, segment_update
from tests.factories import make_unit
from tests.scoring.scoring_helpers import (
    at_minute,
    config_spec,
    decay_rule,
    new_event,
    store_config,
)

pytestmark = pytest.mark.django_db

LEADS = 3
DAY = 24 * 60
# Engagement: demo 30, email_open 10, unsubscribe -20 (default levels: Cold 0-24, Warm 25-49,
# Hot 50-74, Very Hot 75+); 10 points decay per idle day.
EVENT_TYPES = ["demo", "email_open", "unsubscribe"]
WEIGHTS = [
    ("demo", 30, None, True),
    ("email_open", 10, None, True),
    ("unsubscribe", -20, None, True),
]
LEVELS = ["Cold", "Warm", "Hot", "Very Hot"]

# Lead metadata: what rules, PATCHes and the profile rules read.
metadata_values = st.one_of(
    st.sampled_from(["Fintech", "fin-ops", "retail", "", "250", " 40 ", "x1e3"]),
    st.sampled_from([0, 40, 250, 1200, 2.5, True, False]),
    st.sampled_from([None, [], ["vip"], ["beta", 3], {"c": "fin"}]),
)
LEAD_FIELDS = ["industry", "employees", "tags", "tags.0", "industry.c"]
lead_metadata = st.dictionaries(st.sampled_from(["industry", "employees", "tags"]), metadata_values)
# Event metadata: `webinar` for event rules, `industry` (mapped to the lead) and `tier`
# (mapped to the lead's account).
event_metadata = st.fixed_dictionaries(
    {},
    optional={
        "webinar": st.sampled_from(["ai-101", "AI-101", "ml-201", "3", 3, ["ai-101"], None]),
        "industry": st.sampled_from(["Fintech", "retail"]),
        "tier": st.sampled_from(["gold", "silver"]),
    },
)
RULE_VALUES = ["fin", "fintech", "OPS", "retail", "", "40", "250", "vip", "ai-101", "3", "gold"]
NUMBERS = ["0", "10", "30", "40", "45", "250", "-5", "2.5"]
FIELDS = {
    LEAD_METADATA: LEAD_FIELDS,
    EVENT_METADATA: ["webinar", "webinar.0", "industry"],
    ACCOUNT_METADATA: ["tier", "industry"],
}


@st.composite
def segment_rules(draw):
    """One rule's fields, valid for its type."""
    rule_type = draw(st.sampled_from(RULE_TYPES))
    operator = draw(st.sampled_from(ALLOWED_OPERATORS[rule_type]))
    rule = {"rule_type": rule_type, "operator": operator}
    if rule_type in FIELDS:
        rule["field_name"] = draw(st.sampled_from(FIELDS[rule_type]))
    if rule_type in (ENGAGEMENT_LEVEL, PROFILE_LEVEL, ACCOUNT_LEVEL):
        rule["value"] = draw(st.sampled_from([*LEVELS, "hot"]))
    elif operator in NUMERIC or rule_type == ENGAGEMENT_SCORE:
        rule["value"] = draw(st.sampled_from(NUMBERS))
    elif not operator.startswith("is_"):
        rule["value"] = draw(st.sampled_from(RULE_VALUES))
    if rule_type == EVENT_METADATA:
        rule["event_type"] = draw(st.sampled_from(["", *EVENT_TYPES]))
    rule["logic_group"] = draw(st.integers(0, 1))
    rule["active"] = draw(st.integers(0, 4)) > 0  # mostly active
    return rule


segments = st.lists(
    st.fixed_dictionaries(
        {
            "rules": st.lists(segment_rules(), min_size=1, max_size=4),
            "logic_ops": st.tuples(st.sampled_from(["AND", "OR"]), st.sampled_from(["AND", "OR"])),
            "active": st.integers(0, 5).map(bool),  # mostly active
        }
    ),
    min_size=1,
    max_size=3,
)
leads_ = st.integers(0, LEADS - 1)
accounts = st.sampled_from([None, "acme", "globex"])
events = st.lists(
    st.tuples(
        leads_,
        st.sampled_from(EVENT_TYPES),
        st.one_of(st.integers(0, 60), st.integers(0, 4 * DAY)),  # bursts and idle days
        event_metadata,
    ),
    min_size=1,
    max_size=6,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("store"), events),
        st.tuples(st.just("process"), st.integers(1, 6)),
        st.tuples(st.just("patch"), leads_, lead_metadata.map(lambda m: m or {"industry": None})),
        st.tuples(st.just("put"), leads_, lead_metadata),
        st.tuples(st.just("decay"), st.integers(0, 6 * DAY)),
        st.tuples(st.just("merge"), leads_, leads_),
        st.tuples(st.just("account"), leads_, accounts),
    ),
    max_size=10,
)


def configured_unit(inorganic: bool):
    """An OU with engagement scoring, decay, a profile and an account ruleset, and the
    mappings events apply to leads (`industry`) and accounts (`tier`)."""
    unit = make_unit()
    filters = [("email_open", 2, 5, True)] if inorganic else []
    store_config(unit, config_spec(WEIGHTS, surge=("off", [], "2"), inorganic_filters=filters))
    decay_rule(unit, decrease=10)
    unit.org.abm_enabled = True
    unit.org.save(update_fields=["abm_enabled"])
    for account_id, tier in (("acme", "gold"), ("globex", "silver")):  # scored below
        Account.objects.create(
            org_id=unit.org_id, unit=unit, account_id=account_id, metadata={"tier": tier}
        )
    fit_rules = {
        PROFILE: [
            ("industry", "equals", "fintech", 30),
            ("employees", "greater_or_equal", "200", 25),
        ],
        ACCOUNT: [("tier", "equals", "gold", 60)],
    }
    for kind, rules in fit_rules.items():
        ruleset = fit_ruleset_create(ou=unit, member=None, kind=kind, name="Fit")
        for prop, condition, value, weight in rules:
            fit_rule_create(
                ou=unit, member=None, kind=kind, ruleset_id=ruleset.public_id,
                property_name=prop, condition=condition, comparison_value=value, weight=weight,
            )  # fmt: skip
    fit_mapping_create(ou=unit, member=None, kind=PROFILE, source_field="industry",
                       target_property="industry")  # fmt: skip
    fit_mapping_create(ou=unit, member=None, kind=ACCOUNT, source_field="tier",
                       target_property="tier")  # fmt: skip
    return unit


@pytest.fixture
def units():
    """The configured OUs, without and with an inorganic filter, shared by the examples: each
    example's writes are rolled back."""
    return {inorganic: configured_unit(inorganic) for inorganic in (False, True)}


def segments_create(unit, specs) -> list:
    """The segments, each activated (one recompute) once its rules are in. The rules are
    validated as a set and stored at once: creating each through the API's service cost most
    of an example."""
    created = []
    for spec in specs:
        segment = segment_create(ou=unit, member=None, name="s", active=False)
        rules = [
            SegmentRule(
                org_id=unit.org_id,
                unit=unit,
                segment_id=segment.pk,
                logic_op=spec["logic_ops"][rule["logic_group"]],
                **rule,
            )
            for rule in spec["rules"]
        ]
        rules_validate(ou=unit, rules=[rule_spec(rule) for rule in rules])
        SegmentRule.objects.bulk_create(rules)
        if spec["active"]:
            segment = segment_update(
                ou=unit, member=None, segment_id=segment.public_id, active=True
            )
        created.append(segment)
    jobs_sweep()  # the recomputes
    return created


def drain(batch_size: int) -> None:
    while process_pending_batch(batch_size=batch_size):
        pass


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    segment_specs=segments,
    history=steps,
    segments_at=st.integers(0, 10),
    initial=st.lists(lead_metadata, min_size=LEADS, max_size=LEADS),
    initial_accounts=st.lists(accounts, min_size=LEADS, max_size=LEADS),
    inorganic=st.booleans(),
    last_batch=st.integers(1, 6),
)
def test_membership_equals_the_sql_back_end_and_its_events_replay_to_it(
    units, segment_specs, history, segments_at, initial, initial_accounts, inorganic, last_batch
):
    with transaction.atomic():
        example(
            units[inorganic],
            segment_specs,
            history,
            segments_at,
            initial,
            initial_accounts,
            last_batch,
        )
        transaction.set_rollback(True)


def example(
    unit, segment_specs, history, segments_at, initial, initial_accounts, last_batch
) -> None:
    leads = [
        lead_create(
            ou=unit, lead_id=f"lead-{n}", metadata=initial[n], account_id=initial_accounts[n]
        )
        for n in range(LEADS)
    ]
    merged_into: dict[int, int] = {}  # lead index -> the index it was merged into

    def current(n: int) -> int:
        while n in merged_into:
            n = merged_into[n]
        return n

    created = []
    for position, step in enumerate([*history, None]):
        if position == min(segments_at, len(history)):
            created = segments_create(unit, segment_specs)
        if step is None:
            break
        match step:
            case ("store", stream):
                EngagementEvent.objects.bulk_create(
                    [
                        new_event(leads[current(n)], event_type, minute, metadata)
                        for n, event_type, minute, metadata in stream
                    ]
                )
            case ("process", batch_size):
                drain(batch_size)
            case ("patch", n, patch):
                lead_metadata_patch(ou=unit, lead_id=leads[current(n)].lead_id, patch=patch)
            case ("put", n, metadata):
                lead_update(ou=unit, lead_id=leads[current(n)].lead_id, metadata=metadata)
            case ("decay", minute):
                ou_decay_sweep(unit_id=unit.id, now=at_minute(minute))
            case ("account", n, account_id):
                lead = Lead.objects.for_ou(unit).get(pk=leads[current(n)].pk)
                lead_update(
                    ou=unit, lead_id=lead.lead_id, metadata=lead.metadata, account_id=account_id
                )
            case ("merge", target, source):
                if current(target) != current(source):
                    lead_merge(
                        ou=unit,
                        target_id=leads[current(target)].lead_id,
                        source_ids=[leads[current(source)].lead_id],
                    )
                    merged_into[current(source)] = current(target)
    drain(last_batch)

    assert not EngagementEvent.objects.for_ou(unit).filter(status="pending").exists()
    context = segment_context(unit_id=unit.pk)
    rules = active_rule_specs(unit_id=unit.pk, segment_pks=[s.pk for s in created])
    for segment in created:
        stored = set(
            SegmentMembership.objects.for_ou(unit)
            .filter(segment=segment)
            .values_list("lead_id", flat=True)
        )
        evaluated = set()
        if segment.active:
            # From the events themselves, and from the match flags the pipeline keeps.
            evaluated = set(
                members_evaluated(context=context, rules=rules[segment.pk], from_matches=False)
            )
            flagged = members_evaluated(context=context, rules=rules[segment.pk])
            assert set(flagged) == evaluated, rules[segment.pk]
            # Member pages walk the scores within the rules' bounds: none is left out.
            listed = segment_members_export(ou=unit, segment_id=segment.public_id)
            assert {row.lead_id for row in listed} == set(
                Lead.objects.for_ou(unit).filter(pk__in=evaluated).values_list("lead_id", flat=True)
            ), rules[segment.pk]
        assert stored == evaluated, rules[segment.pk]
        assert_events_replay_to(segment, stored)


def assert_events_replay_to(segment, members: set[int]) -> None:
    kinds: dict[int, list[str]] = defaultdict(list)
    for lead_pk, kind in (
        SegmentMembershipEvent.objects.for_ou(segment.unit_id)
        .filter(segment=segment)
        .order_by("id")
        .values_list("lead_pk", "kind")
    ):
        kinds[lead_pk].append(kind)
    for lead_pk, history in kinds.items():
        expected = ["segment_entered", "segment_exited"] * len(history)
        assert history == expected[: len(history)], (lead_pk, history)
    assert {pk for pk, history in kinds.items() if history[-1] == "segment_entered"} == members
