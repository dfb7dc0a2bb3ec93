"""Invariants of the scoring configuration that the database holds too (CheckConstraints of
migration 0011): a write that goes around the services fails, and the API still answers the
same bad input with a 400, never a 500."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from scoring.models import DecayRule, InorganicFilter, Level, Rule, Ruleset, SurgePolicy
from tests.api_clients import member_client_for

pytestmark = pytest.mark.django_db

API = "/api/v1"
SURGE_POLICY = f"{API}/settings/ou/surge-policy"


def refused(client, method, path, body) -> dict:
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["status"] == 400
    return response.json()["details"]


def violates(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize("cap", [Decimal("0.99"), Decimal("3.01"), Decimal("0")])
def test_a_multiplier_cap_outside_1_to_3_is_refused_by_the_database_and_the_api(ou, cap):
    policy = SurgePolicy(unit=ou, org_id=ou.org_id, multiplier_cap=cap)
    assert violates(policy.save)
    assert "multiplier_cap" in refused(
        member_client_for(ou), "put", SURGE_POLICY, {"multiplier_cap": str(cap)}
    )
    assert not SurgePolicy.objects.for_ou(ou).exists()


@pytest.mark.parametrize("cap", [Decimal("1"), Decimal("3")])
def test_the_multiplier_cap_bounds_themselves_are_allowed(ou, cap):
    SurgePolicy.objects.create(unit=ou, org_id=ou.org_id, multiplier_cap=cap)


def test_a_custom_surge_policy_without_bands_is_refused_by_the_database_and_the_api(ou):
    policy = SurgePolicy(unit=ou, org_id=ou.org_id, mode=SurgePolicy.Mode.CUSTOM, bands=[])
    assert violates(policy.save)
    assert "bands" in refused(member_client_for(ou), "put", SURGE_POLICY, {"mode": "custom"})
    # The other modes keep no bands of their own.
    SurgePolicy.objects.create(unit=ou, org_id=ou.org_id, mode=SurgePolicy.Mode.OFF, bands=[])


def test_a_level_whose_max_is_below_its_min_is_refused_by_the_database_and_the_api(ou):
    level = Level(
        org_id=ou.org_id, unit=ou, kind=Level.Kind.ENGAGEMENT, name="X", min_score=10, max_score=9
    )
    assert violates(level.save)
    client = member_client_for(ou)
    path = f"{API}/levels/engagement"
    assert "max_score" in refused(
        client, "post", path, {"name": "X", "min_score": 10, "max_score": 9}
    )
    stored = Level.objects.for_ou(ou).filter(kind=Level.Kind.ENGAGEMENT).order_by("min_score")
    first = stored.first()
    assert "max_score" in refused(
        client, "put", f"{path}/{first.public_id}", {"max_score": first.min_score - 1}
    )
    # One-point ranges and open-ended ones are levels.
    for max_score in (first.min_score, None):
        first.max_score = max_score
        first.save()


# (model, valid fields, fields that break the invariant, API route, the same sent to it)
BROKEN = [
    (
        DecayRule,
        {"inactive_for": 1, "time_unit": "days", "decrease": 5},
        {"inactive_for": 0},
        "/decays",
        {"inactive_for": 0, "unit": "days", "decrease": 5},
    ),
    (
        DecayRule,
        {"inactive_for": 1, "time_unit": "days", "decrease": 5},
        {"decrease": 0},
        "/decays",
        {"inactive_for": 1, "unit": "days", "decrease": 0},
    ),
    (
        InorganicFilter,
        {"event_type": "visit", "count_threshold": 3, "time_window_ms": 1000},
        {"count_threshold": 0},
        "/filters",
        {"event_type": "visit", "count_threshold": 0, "time_window_ms": 1000},
    ),
    (
        InorganicFilter,
        {"event_type": "visit", "count_threshold": 3, "time_window_ms": 1000},
        {"time_window_ms": 0},
        "/filters",
        {"event_type": "visit", "count_threshold": 3, "time_window_ms": 0},
    ),
]


@pytest.mark.parametrize(("model", "valid", "broken", "route", "sent"), BROKEN)
def test_a_period_threshold_or_window_of_zero_is_refused_by_the_database_and_the_api(
    ou, model, valid, broken, route, sent
):
    model.objects.create(org_id=ou.org_id, unit=ou, **valid)
    assert violates(model(org_id=ou.org_id, unit=ou, **{**valid, **broken}).save)
    refused(member_client_for(ou), "post", f"{API}{route}", sent)
    assert model.objects.for_ou(ou).count() == 1


def test_a_rule_window_that_ends_before_it_starts_is_refused_by_the_database_and_the_api(ou):
    ruleset = Ruleset.objects.create(org_id=ou.org_id, unit=ou, name="Main", is_primary=True)

    def rule(**window) -> Rule:
        return Rule(
            org_id=ou.org_id, unit=ou, ruleset=ruleset, event_type="visit", weight=1, **window
        )

    start = datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)
    assert violates(rule(start_at=start, end_at=start).save)
    window = {"start_at": "2025-06-01T00:00:00Z", "end_at": "2025-06-01T00:00:00Z"}
    body = {"event_type": "visit", "weight": 1, **window}
    assert "end_at" in refused(member_client_for(ou), "post", f"{API}/rules", body)
    # Open-ended windows are windows.
    rule(start_at=start).save()
    rule(end_at=start).save()
