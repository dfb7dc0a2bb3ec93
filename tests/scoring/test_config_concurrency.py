"""Configuration writes of one OU run one after the other, so the checks that read other rows
hold under concurrent requests: one primary ruleset, levels that do not overlap."""

import pytest

from scoring.models import Level, Ruleset
from tests.concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(count, send) -> list[int]:
    return sorted(run_in_threads(lambda n: send(n).status_code, count=count, start_together=True))


def test_simultaneous_first_rulesets_leave_one_primary(client, ou):
    statuses = _at_once(
        6,
        lambda n: client.post(
            "/api/v1/rulesets", {"name": f"R{n}", "is_primary": n % 2 == 0}, format="json"
        ),
    )
    assert statuses == [201] * 6
    assert Ruleset.objects.for_ou(ou).count() == 6
    assert Ruleset.objects.for_ou(ou).filter(is_primary=True).count() == 1


def test_simultaneous_overlapping_levels_let_one_in(client, ou):
    statuses = _at_once(
        6,
        lambda n: client.post(
            "/api/v1/levels/engagement",
            {"name": f"L{n}", "min_score": -100 - n, "max_score": -50},
            format="json",
        ),
    )
    assert statuses == [201] + [400] * 5
    assert Level.objects.for_ou(ou).filter(kind="engagement", max_score=-50).count() == 1
