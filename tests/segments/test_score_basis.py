"""Membership follows changes that rewrite many leads' scores or levels without an event of
theirs: a level edit, a rescore under changed rules, a primary-ruleset switch, a profile fit
rule, profile mappings applied to stored events. None of these fires segment triggers: their
causes are `rules_changed` and `rescored`."""

import pytest

from leadvibe.jobs import jobs_sweep
from scoring.fit.selectors import PROFILE
from scoring.fit.services.config import fit_mapping_create, fit_rule_create, fit_ruleset_create
from scoring.fit.services.scores import profile_mappings_apply
from scoring.models import EngagementEvent, Level, Rule
from scoring.services.leads import lead_create
from scoring.services.levels import level_update
from scoring.services.pipeline import process_pending_events
from scoring.services.rescore import ou_rescore_start
from scoring.services.rulesets import rule_update, ruleset_create
from segments.models import SegmentMembership, SegmentMembershipEvent
from segments.services.config import segment_create, segment_rule_create
from tests.scoring.scoring_helpers import config_spec, new_event, store_config

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scored(ou):
    """Lead `a` scored 30 by one demo (Warm: 25-49), lead `b` without events."""
    store_config(ou, {**config_spec([("demo", 30, None, True)]), "surge": ("off", [], 2)})
    a = lead_create(ou=ou, lead_id="a", metadata={"industry": "fintech"})
    lead_create(ou=ou, lead_id="b", metadata={"industry": "retail"})
    EngagementEvent.objects.bulk_create([new_event(a, "demo", 0, {})])
    process_pending_events()


def segment_with(ou, **rule):
    segment = segment_create(ou=ou, member=None, name="s")
    segment_rule_create(ou=ou, member=None, segment_id=segment.public_id, **rule)
    jobs_sweep()
    return segment


def members_and_events(segment):
    members = sorted(
        SegmentMembership.objects.for_ou(segment.unit_id)
        .filter(segment=segment)
        .values_list("lead__lead_id", flat=True)
    )
    events = list(
        SegmentMembershipEvent.objects.for_ou(segment.unit_id)
        .filter(segment=segment)
        .order_by("id")
        .values_list("lead_id", "kind", "cause")
    )
    return members, events


def test_a_level_edit_recomputes_the_segments_reading_that_level(ou, scored):
    segment = segment_with(ou, rule_type="engagement_level", operator="equals", value="Warm")
    assert members_and_events(segment)[0] == ["a"]
    warm = Level.objects.for_ou(ou).get(kind=Level.Kind.ENGAGEMENT, name="Warm")
    level_update(ou=ou, member=None, kind="engagement", level_id=warm.public_id, max_score=29)
    jobs_sweep()
    # 30 is no longer Warm (nor any level).
    assert members_and_events(segment) == (
        [],
        [("a", "segment_entered", "rules_changed"), ("a", "segment_exited", "rules_changed")],
    )


def test_a_rescore_under_a_new_weight_moves_score_segments(ou, scored):
    segment = segment_with(ou, rule_type="engagement_score", operator="greater_than", value="40")
    assert members_and_events(segment) == ([], [])
    demo = Rule.objects.for_ou(ou).get(event_type="demo")
    rule_update(ou=ou, member=None, rule_id=demo.public_id, weight=50)
    ou_rescore_start(ou=ou)
    jobs_sweep()
    assert members_and_events(segment) == (["a"], [("a", "segment_entered", "rescored")])


def test_a_new_primary_ruleset_empties_score_segments_until_rescored(ou, scored):
    segment = segment_with(ou, rule_type="engagement_score", operator="greater_than", value="10")
    assert members_and_events(segment)[0] == ["a"]
    ruleset_create(ou=ou, member=None, name="fresh", is_primary=True)
    jobs_sweep()
    assert members_and_events(segment) == (
        [],
        [("a", "segment_entered", "rules_changed"), ("a", "segment_exited", "rules_changed")],
    )


def test_a_profile_fit_rule_recomputes_profile_level_segments(ou, scored):
    segment = segment_with(ou, rule_type="profile_level", operator="equals", value="Warm")
    assert members_and_events(segment) == ([], [])
    ruleset = fit_ruleset_create(ou=ou, member=None, kind=PROFILE, name="fit")
    fit_rule_create(
        ou=ou, member=None, kind=PROFILE, ruleset_id=ruleset.public_id,
        property_name="industry", condition="equals", comparison_value="fintech", weight=30,
    )  # fmt: skip
    jobs_sweep()
    assert members_and_events(segment) == (["a"], [("a", "segment_entered", "rules_changed")])


def test_profile_mappings_applied_to_stored_events_move_profile_level_segments(ou, scored):
    ruleset = fit_ruleset_create(ou=ou, member=None, kind=PROFILE, name="fit")
    fit_rule_create(
        ou=ou, member=None, kind=PROFILE, ruleset_id=ruleset.public_id,
        property_name="plan", condition="equals", comparison_value="pro", weight=60,
    )  # fmt: skip
    segment = segment_with(ou, rule_type="profile_level", operator="equals", value="Hot")
    assert members_and_events(segment) == ([], [])
    lead = EngagementEvent.objects.for_ou(ou).get().lead
    EngagementEvent.objects.bulk_create([new_event(lead, "visit", 1, {"plan": "pro"})])
    process_pending_events()  # no mapping yet: the event's plan stays on the event
    assert members_and_events(segment) == ([], [])
    fit_mapping_create(
        ou=ou, member=None, kind=PROFILE, source_field="plan", target_property="plan"
    )
    profile_mappings_apply(ou=ou)
    # The lead's metadata and its profile score (60: Hot) changed together.
    assert members_and_events(segment) == (["a"], [("a", "segment_entered", "metadata")])
