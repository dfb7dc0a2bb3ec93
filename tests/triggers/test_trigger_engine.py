"""Trigger evaluation (architecture.md §5) worked through event by event, with every time
and score written out. Times are seconds here, microseconds in the engine."""

import json

from triggers import engine

S = 1_000_000


def event(seq, event_type, at, *, before=None, after=None, counts=True, fires=True, **metadata):
    return engine.TriggerEvent(
        seq=seq,
        event_type=event_type,
        occurred_at=at * S,
        metadata=metadata,
        counts=counts,
        fires=fires and counts,
        score_before=before,
        score_after=after,
    )


def run(triggers, events, state=None):
    state = {} if state is None else state
    return [
        (e.kind, e.trigger_id, e.occurrence, e.seq)
        for ev in events
        for e in engine.evaluate(state, ev, triggers)
    ]


def test_milestone_once_fires_on_the_first_upward_crossing_only():
    triggers = engine.TriggerSet(milestones=(engine.Milestone(id=1, threshold=50),))
    events = [
        event(1, "visit", 0, before=0, after=40),  # below
        event(2, "demo", 10, before=40, after=60),  # 40 -> 60 crosses 50: fires
        event(3, "visit", 20, before=60, after=70),  # already above
        event(4, "unsubscribe", 30, before=70, after=45),  # drops below: exited
        event(5, "demo", 40, before=45, after=65),  # crosses again, but once
    ]
    assert run(triggers, events) == [
        ("milestone", 1, 0, 2),
        ("milestone_exited", 1, 4, 4),
    ]


def test_milestone_always_respects_the_cooldown_and_the_event_type():
    triggers = engine.TriggerSet(
        milestones=(
            engine.Milestone(id=1, threshold=50, always=True, cooldown_us=60 * S),
            engine.Milestone(id=2, threshold=50, event_type="demo"),
        )
    )
    events = [
        event(1, "visit", 0, before=40, after=55),  # #1 fires (t=0); #2: wrong type
        event(2, "unsub", 10, before=55, after=30),  # both exit
        event(3, "demo", 30, before=30, after=60),  # #1 within 60 s cooldown; #2 fires
        event(4, "unsub", 40, before=60, after=30),
        event(5, "visit", 61, before=30, after=52),  # #1: 61 s after its firing: fires
    ]
    assert run(triggers, events) == [
        ("milestone", 1, 1, 1),
        ("milestone_exited", 1, 2, 2),
        ("milestone_exited", 2, 2, 2),
        ("milestone", 2, 0, 3),
        ("milestone_exited", 1, 4, 4),
        ("milestone_exited", 2, 4, 4),
        ("milestone", 1, 5, 5),
    ]


def test_ordered_sequence_needs_the_steps_in_order_within_the_window():
    triggers = engine.TriggerSet(
        sequences=(engine.Sequence(id=7, steps=("visit", "pricing", "demo"), window_us=100 * S),)
    )
    # pricing before any visit does not count; visit@10, pricing@20, demo@150 is 140 s:
    # too slow; visit@120, pricing@130, demo@150 completes within 30 s.
    events = [
        event(1, "pricing", 0),
        event(2, "visit", 10),
        event(3, "pricing", 20),
        event(4, "visit", 120),
        event(5, "pricing", 130),
        event(6, "demo", 150),
        event(7, "visit", 160),
        event(8, "pricing", 170),
        event(9, "demo", 180),  # once: already fired
    ]
    assert run(triggers, events) == [("sequence", 7, 0, 6)]


def test_unordered_always_sequence_fires_each_time_it_completes_anew():
    triggers = engine.TriggerSet(
        sequences=(
            engine.Sequence(
                id=3, steps=("demo", "visit", "visit"), window_us=60 * S, ordered=False, always=True
            ),
        )
    )
    events = [
        event(1, "demo", 0),
        event(2, "visit", 10),
        event(3, "visit", 20),  # demo + 2 visits within 60 s: fires, starts over
        event(4, "visit", 30),
        event(5, "demo", 45),
        event(6, "visit", 100),  # visit@30 fell out of the window (70 s ago)
        event(7, "visit", 101),  # demo@45, visits @100 @101, within 56 s: fires
    ]
    assert run(triggers, events) == [("sequence", 3, 3, 3), ("sequence", 3, 7, 7)]


def test_pattern_counts_matching_metadata_within_the_window():
    triggers = engine.TriggerSet(
        patterns=(
            engine.Pattern(
                id=4,
                conditions=(
                    engine.PatternCondition("page_view", 3, {"page": "pricing"}),
                    engine.PatternCondition("email_open", 1),
                ),
                window_us=3600 * S,
            ),
        )
    )
    events = [
        event(1, "page_view", 0, page="pricing"),
        event(2, "page_view", 10, page="blog"),  # wrong page
        event(3, "page_view", 20, page="pricing"),
        event(4, "email_open", 30),
        event(5, "page_view", 3601, page="pricing"),  # the one at 0 expired: 2 of 3
        event(6, "page_view", 3602, page="pricing"),  # 20, 3601, 3602 + open@30: fires
    ]
    assert run(triggers, events) == [("pattern", 4, 6, 6)]


def test_surge_fires_once_per_burst():
    triggers = engine.TriggerSet(surges=(engine.Surge(id=9, threshold=3, window_us=60 * S),))
    events = [
        event(1, "visit", 0),
        event(2, "visit", 10),
        event(3, "visit", 20),  # 3 within 60 s: fires
        event(4, "visit", 30),  # still the same burst
        event(5, "visit", 100),  # count had fallen below 3: burst over (1 in window)
        event(6, "visit", 110),
        event(7, "visit", 120),  # 3 again: a new burst fires
    ]
    assert run(triggers, events) == [("surge", 9, 3, 3), ("surge", 9, 7, 7)]


def test_decide_events_advance_windows_but_never_fire_and_suppressed_ones_do_not_count():
    triggers = engine.TriggerSet(
        milestones=(engine.Milestone(id=1, threshold=10),),
        surges=(engine.Surge(id=2, threshold=2, window_us=60 * S),),
    )
    events = [
        event(1, "visit", 0, before=0, after=12, fires=False),  # decide: crosses, no firing
        event(2, "visit", 1, fires=False),  # decide: reaches the surge threshold, consumed
        event(3, "visit", 2, counts=False, before=12, after=5),  # bot: no count, but exits
        event(4, "visit", 3, before=5, after=15),  # crosses: fires (once never fired)
    ]
    assert run(triggers, events) == [
        ("milestone_exited", 1, 3, 3),
        ("milestone", 1, 0, 4),
    ]


def test_state_is_json_and_evaluation_resumes_from_it():
    triggers = engine.TriggerSet(
        sequences=(engine.Sequence(id=1, steps=("a", "b"), window_us=60 * S),),
        surges=(engine.Surge(id=2, threshold=2, window_us=60 * S),),
    )
    state: dict = {}
    assert run(triggers, [event(1, "a", 0)], state) == []
    state = json.loads(json.dumps(state))
    assert run(triggers, [event(2, "b", 5)], state) == [("sequence", 1, 0, 2), ("surge", 2, 2, 2)]


def test_surges_over_the_same_events_share_their_times_but_not_their_bursts():
    triggers = engine.TriggerSet(
        surges=(
            engine.Surge(id=1, threshold=2, window_us=60 * S),
            engine.Surge(id=2, threshold=4, window_us=60 * S),
            engine.Surge(id=3, threshold=2, window_us=60 * S, event_type="demo"),
        )
    )
    state: dict = {}
    events = [
        event(1, "visit", 0),
        event(2, "demo", 10),  # 2 events: #1 fires
        event(3, "visit", 20),
        event(4, "demo", 30),  # 4 events: #2 fires; 2 demos: #3 fires
        event(5, "visit", 95),  # 60 s window: 30, 95 -> #1 still bursting (2 >= 2)
        event(6, "visit", 200),  # alone: every burst ended
        event(7, "visit", 201),  # #1 fires anew
    ]
    assert run(triggers, events, state) == [
        ("surge", 1, 2, 2),
        ("surge", 2, 4, 4),
        ("surge", 3, 4, 4),
        ("surge", 1, 7, 7),
    ]
    assert set(state["g"]) == {"*|60000000", "demo|60000000"}


def test_events_received_before_a_trigger_existed_do_not_concern_it():
    triggers = engine.TriggerSet(milestones=(engine.Milestone(id=1, threshold=50, since=100 * S),))

    def received(seq, at, before, after, received_s):
        return engine.TriggerEvent(
            seq=seq, event_type="demo", occurred_at=at * S, metadata={}, counts=True,
            fires=True, score_before=before, score_after=after, received_at=received_s * S,
        )  # fmt: skip

    events = [
        received(1, 0, 0, 60, received_s=50),  # crossed before the trigger existed: nothing
        received(2, 10, 60, 0, received_s=150),  # its drop concerns it: exited
        received(3, 20, 0, 60, received_s=150),  # the first crossing it sees: fires (once)
    ]
    assert run(triggers, events) == [("milestone_exited", 1, 2, 2), ("milestone", 1, 0, 3)]
