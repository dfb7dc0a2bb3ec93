"""The pipeline equals the reference scorer (architecture.md §3 "Canonical score").

Random configurations (rules with windows and negative weights, several rulesets, attribute
and inorganic filters with and without grouping, surge modes, hidden/observe/decide types,
floor on and off) and random event streams (bursts, long gaps, late arrivals, DECAY events)
are stored in random insertion rounds and processed by the real pipeline with random batch
sizes, the last round by two workers at once, with decay sweeps (set-based SQL) at random
times between rounds. The stored lead scores, event scores and
suppression reasons must equal what `score_stream` makes of the stored events.
"""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.models import EngagementEvent
from scoring.services.decay_sweep import ou_decay_sweep
from scoring.services.leads import lead_create
from scoring.services.pipeline import process_pending_batch
from tests.concurrency import run_in_threads
from tests.factories import make_unit
from tests.scoring.scoring_helpers import (
    at_minute,
    decay_rule,
    expected_from_reference,
    new_event,
    store_config,
    stored_scoring,
)

TYPES = ["a", "b", "c"]

windows = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 200), st.integers(1, 200)).map(lambda w: (w[0], w[0] + w[1])),
)
rules = st.tuples(st.sampled_from(TYPES), st.integers(-10, 20), windows, st.booleans())
rulesets = st.fixed_dictionaries({"rules": st.lists(rules, max_size=4), "active": st.booleans()})
surges = st.one_of(
    st.tuples(st.sampled_from(["off", "standard", "gentle"]), st.just([]), st.just("2")),
    st.tuples(
        st.just("custom"),
        st.lists(
            st.tuples(st.integers(1, 6), st.sampled_from(["1.1", "1.25", "1.5", "2", "3"])),
            min_size=1, max_size=3, unique_by=lambda band: band[0],
        ),
        st.sampled_from(["1", "1.5", "2.5", "3"]),
    ),
)  # fmt: skip
configs = st.fixed_dictionaries(
    {
        "rulesets": st.lists(rulesets, min_size=1, max_size=3),
        "attribute_filters": st.lists(
            st.tuples(st.sampled_from([None, *TYPES]), st.just("k"), st.sampled_from(["x", "y"])),
            max_size=1,
        ),
        "inorganic_filters": st.lists(
            st.tuples(st.sampled_from(TYPES), st.integers(1, 3), st.integers(1, 20), st.booleans()),
            max_size=2,
        ),
        "surge": surges,
        "idle_minutes": st.integers(1, 40),
        "event_types": st.lists(
            st.tuples(
                st.just("c"), st.booleans(), st.sampled_from(["observe", "decide", "activate"])
            ),
            max_size=1,
        ),
        "allow_negative": st.booleans(),
    }
)
# (lead index, type, minute, metadata value); DECAY events as type None.
events = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from([*TYPES, None]),
        st.one_of(st.integers(0, 30), st.integers(0, 600)),  # bursts and long gaps
        st.sampled_from(["x", "y", None]),
    ),
    min_size=1,
    max_size=40,
)


def drain(batch_size: int, workers: int) -> None:
    """Processes the queue with `workers` threads, each with its own database connection."""

    def work(_):
        while process_pending_batch(batch_size=batch_size):
            pass

    run_in_threads(work, count=workers)


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(config_spec=configs, stream=events, seed=st.integers(0, 2**32))
def test_pipeline_equals_reference_scorer(config_spec, stream, seed):
    rng = random.Random(seed)
    unit = make_unit()
    config = store_config(unit, config_spec)
    decay = decay_rule(unit, decrease=rng.randint(1, 15))
    decay_rule(unit, decrease=rng.randint(1, 15), inactive_for=rng.randint(1, 3),
                             time_unit="hours")  # fmt: skip
    leads = [lead_create(ou=unit, lead_id=f"lead-{n}", metadata={}) for n in range(3)]

    rows = [
        new_event(leads[lead], event_type, minute, {"k": value} if value else {})
        if event_type is not None
        else new_event(leads[lead], "DECAY", minute,
                       {"decay_rule_id": decay.id, "decrease": decay.decrease}, system=True)
        for lead, event_type, minute, value in stream
    ]  # fmt: skip
    rng.shuffle(rows)  # arrival order differs from time order: late events
    rounds = (
        sorted(rng.sample(range(1, len(rows)), k=min(3, len(rows) - 1))) if len(rows) > 1 else []
    )
    start = 0
    for end in [*rounds, len(rows)]:
        EngagementEvent.objects.bulk_create(rows[start:end])
        start = end
        if end < len(rows) and rng.random() < 0.7:
            drain(batch_size=rng.randint(1, 15), workers=1)
        if rng.random() < 0.5:
            ou_decay_sweep(unit_id=unit.id, now=at_minute(rng.randint(0, 800)))
    drain(batch_size=rng.randint(1, 15), workers=2)
    ou_decay_sweep(unit_id=unit.id, now=at_minute(rng.randint(0, 800)))
    drain(batch_size=rng.randint(1, 15), workers=1)  # DECAY steps that came late

    assert not EngagementEvent.objects.for_ou(unit).filter(status="pending").exists()
    for lead in leads:
        assert stored_scoring(lead) == expected_from_reference(lead, config)
