"""One worked example per numbered rule of architecture.md §4, every number written out.

Times are minutes after an arbitrary origin; `T(m)` turns them into the engine's
microseconds."""

from decimal import Decimal

from scoring import engine
from scoring.engine.levels import LevelRange, default_levels, level_for, overlapping
from scoring.engine.profile import (
    FieldMapping,
    ProfileRule,
    ProfileRuleset,
    apply_field_mappings,
    profile_scores,
)

MINUTE = 60_000_000
OFF = engine.SurgePolicy.preset("off", idle_reset_us=30 * MINUTE)
STANDARD = engine.SurgePolicy.preset("standard", idle_reset_us=30 * MINUTE)


def T(minutes: float) -> int:
    return int(minutes * MINUTE)


def events(*specs) -> list[engine.EngineEvent]:
    """(minute, event_type[, metadata]) each; seq in the given order."""
    return [
        engine.EngineEvent(seq=n, event_type=spec[0 + 1], occurred_at=T(spec[0]),
                    metadata=spec[2] if len(spec) > 2 else {})
        for n, spec in enumerate(specs, start=1)
    ]  # fmt: skip


def deltas(outcomes, ruleset_id=1) -> list[int]:
    return [
        sum(s.delta for s in outcome.scores if s.ruleset_id == ruleset_id) for outcome in outcomes
    ]


def config(*rules, surge=OFF, **fields) -> engine.ScoringConfig:
    return engine.ScoringConfig(rulesets=(engine.Ruleset(1, tuple(rules)),), surge=surge, **fields)


def test_rules_of_every_active_ruleset_score_on_their_own_and_windows_bound_them():
    marketing = engine.Ruleset(1, (
        engine.Rule(11, "email_open", 5), engine.Rule(12, "email_open", 2),
        engine.Rule(13, "page_view", 3, start_at=T(10), end_at=T(20)),
    ))  # fmt: skip
    sales = engine.Ruleset(2, (engine.Rule(21, "email_open", -4),))
    paused = engine.Ruleset(3, (engine.Rule(31, "email_open", 100),), active=False)
    cfg = engine.ScoringConfig(rulesets=(marketing, sales, paused), surge=OFF, allow_negative=True)
    # page_view at 5 (before the window), 10 (start, inside), 20 (end, outside); EMAIL_OPEN
    # differs in case and matches nothing.
    state, outcomes = engine.score_stream(
        events((1, "email_open"), (5, "page_view"), (10, "page_view"), (20, "page_view"),
               (40, "EMAIL_OPEN")),
        cfg,
    )  # fmt: skip
    assert deltas(outcomes, 1) == [7, 0, 3, 0, 0]  # both email_open rules: 5 + 2
    assert deltas(outcomes, 2) == [-4, 0, 0, 0, 0]
    assert state.scores == {1: 10, 2: -4}
    assert outcomes[0].scores[0].rule_ids == (11, 12)


def test_1_event_types_hidden_observe_decide():
    cfg = config(
        engine.Rule(1, "page_view", 10), engine.Rule(2, "bot_ping", 10),
        engine.Rule(3, "crm_sync", 10), engine.Rule(4, "webinar", 10),
        event_types={
            "bot_ping": engine.EventTypePolicy(hidden=True),
            "crm_sync": engine.EventTypePolicy(scope="observe"),
            "webinar": engine.EventTypePolicy(scope="decide"),
        },
    )  # fmt: skip
    state, outcomes = engine.score_stream(
        events((0, "page_view"), (1, "bot_ping"), (2, "crm_sync"), (3, "webinar")), cfg
    )
    assert deltas(outcomes) == [10, 0, 0, 10]
    assert [o.suppression_reason for o in outcomes] == [None, "hidden_type", None, None]
    assert [o.fires_triggers for o in outcomes] == [True, False, False, False]
    assert state.scores == {1: 20}


def test_2_attribute_filters_suppress_when_every_condition_matches():
    internal = engine.AttributeFilter(
        1,
        (
            engine.Condition("email_domain", "equals", "ACME.com"),
            engine.Condition("path", "starts_with", "/a"),
        ),
        event_type="page_view",
    )
    cfg = config(
        engine.Rule(1, "page_view", 10),
        engine.Rule(2, "email_open", 4),
        attribute_filters=(internal,),
    )
    _, outcomes = engine.score_stream(
        events(
            (0, "page_view", {"email_domain": "acme.com", "path": "/admin"}),  # both: suppressed
            (1, "page_view", {"email_domain": "acme.com", "path": "/pricing"}),  # one only
            (2, "email_open", {"email_domain": "acme.com", "path": "/admin"}),  # other type
        ),
        cfg,
    )
    assert [o.suppression_reason for o in outcomes] == ["metadata_filter", None, None]
    assert deltas(outcomes) == [0, 10, 4]


def test_3_inorganic_filter_suppresses_past_the_threshold_in_a_rolling_window():
    # More than 3 page views within 10 minutes is inorganic.
    velocity = engine.InorganicFilter(1, "page_view", count_threshold=3, window_us=T(10))
    cfg = config(engine.Rule(1, "page_view", 5), inorganic_filters=(velocity,))
    _, outcomes = engine.score_stream(
        events((0, "page_view"), (1, "page_view"), (2, "page_view"), (3, "page_view"),
               (9.5, "page_view"), (12.5, "page_view"), (30, "page_view")),
        cfg,
    )  # fmt: skip
    # Counts in (t-10, t]: 1, 2, 3, 4 (suppressed), 5 (suppressed; the suppressed one at 3
    # still counts), at 12.5: {3, 9.5, 12.5} = 3, at 30: 1.
    assert [o.suppression_reason for o in outcomes] == [
        None, None, None, "inorganic", "inorganic", None, None,
    ]  # fmt: skip
    assert deltas(outcomes) == [5, 5, 5, 0, 0, 5, 5]


def test_3_grouped_burst_keeps_the_first_and_takes_back_the_2nd_to_nth():
    velocity = engine.InorganicFilter(
        1, "page_view", count_threshold=3, window_us=T(10), group_events=True
    )
    cfg = config(engine.Rule(1, "page_view", 5), inorganic_filters=(velocity,))
    state, outcomes = engine.score_stream(
        events((0, "page_view"), (1, "page_view"), (2, "page_view"), (3, "page_view"),
               (4, "page_view"), (13, "page_view"), (30, "page_view")),
        cfg,
    )  # fmt: skip
    # 1st, 2nd, 3rd score 5 each (15). The 4th exceeds 3: it is grouped and the 2nd and 3rd
    # are taken back (-10). The 5th (gap 1) and the one at 13 (gap 9 < 10) continue the
    # burst: grouped. At 30 the gap is 17: a new burst, scored.
    assert [o.suppression_reason for o in outcomes] == [
        None, None, None, "inorganic_grouped", "inorganic_grouped", "inorganic_grouped", None,
    ]  # fmt: skip
    assert deltas(outcomes) == [5, 5, 5, -10, 0, 0, 5]
    assert outcomes[3].regrouped_seqs == (2, 3)
    assert outcomes[3].scores[0].kind == "compensation"
    assert state.scores == {1: 10}


def test_4_standard_surge_five_events_in_one_session():
    cfg = config(engine.Rule(1, "page_view", 10), surge=STANDARD)
    state, outcomes = engine.score_stream(
        events((0, "page_view"), (5, "page_view"), (10, "page_view"), (15, "page_view"),
               (20, "page_view")),
        cfg,
    )  # fmt: skip
    # Standard bands: 3rd event x1.25, 5th x1.5. 10 x 1.25 = 12.5 rounds half up to 13.
    assert [o.multiplier for o in outcomes] == [
        1,
        1,
        Decimal("1.25"),
        Decimal("1.25"),
        Decimal("1.5"),
    ]
    assert deltas(outcomes) == [10, 10, 13, 13, 15]
    assert state.scores == {1: 61}


def test_4_sessions_reset_after_the_idle_gap_and_custom_bands_are_capped():
    custom = engine.SurgePolicy.preset(
        "custom", idle_reset_us=T(30), bands=[(2, "1.5"), (3, "3")], cap=Decimal("2")
    )
    cfg = config(engine.Rule(1, "page_view", 7), engine.Rule(2, "unsubscribe", -5), surge=custom,
                 allow_negative=True)  # fmt: skip
    _, outcomes = engine.score_stream(
        events((0, "page_view"), (29, "page_view"), (58, "page_view"), (88, "page_view"),
               (100, "unsubscribe")),
        cfg,
    )  # fmt: skip
    # Gaps 29, 29 (same session), 30 (a new one), 12. 7 x 1.5 = 10.5 -> 11; band 3 is capped
    # at 2: 7 x 2 = 14; -5 x 1.5 = -7.5 -> -8 (halves away from zero).
    assert [o.session_position for o in outcomes] == [1, 2, 3, 1, 2]
    assert deltas(outcomes) == [7, 11, 14, 7, -8]


def test_5_floor_records_the_applied_delta_unless_negative_scores_are_allowed():
    rules = (engine.Rule(1, "email_open", 3), engine.Rule(2, "unsubscribe", -10))
    stream = events((0, "email_open"), (1, "unsubscribe"), (2, "email_open"))
    floored_state, floored = engine.score_stream(stream, config(*rules))
    assert deltas(floored) == [3, -3, 3]
    assert [(s.before, s.after) for o in floored for s in o.scores] == [(0, 3), (3, 0), (0, 3)]
    assert floored[1].scores[0].weight == -10
    negative_state, negative = engine.score_stream(stream, config(*rules, allow_negative=True))
    assert deltas(negative) == [3, -10, 3]
    assert (floored_state.scores, negative_state.scores) == ({1: 3}, {1: -4})


def test_6_decay_events_lower_every_active_ruleset_under_the_floor():
    cfg = engine.ScoringConfig(
        rulesets=(
            engine.Ruleset(1, (engine.Rule(1, "demo", 30),)),
            engine.Ruleset(2, (engine.Rule(2, "demo", 8),)),
        ),
        surge=OFF,
    )
    decay = {"decay_rule_id": 9, "decrease": 10}
    stream = [
        engine.EngineEvent(1, "demo", T(0)),
        engine.EngineEvent(2, engine.DECAY_EVENT_TYPE, T(60), decay, system=True),
        engine.EngineEvent(3, engine.DECAY_EVENT_TYPE, T(120), decay, system=True),
    ]
    state, outcomes = engine.score_stream(stream, cfg)
    # 30 -> 20 -> 10 in ruleset 1; 8 -> 0 then nothing to lower (not recorded) in ruleset 2.
    assert [(s.ruleset_id, s.kind, s.delta, s.after) for s in outcomes[1].scores] == [
        (1, "decay", -10, 20), (2, "decay", -8, 0),
    ]  # fmt: skip
    assert [(s.ruleset_id, s.delta) for s in outcomes[2].scores] == [(1, -10)]
    assert state.scores == {1: 10, 2: 0}
    assert state.last_decay_at == {9: T(120)}
    assert state.last_activity_at == T(0)  # a DECAY is not activity


def test_7_levels_are_inclusive_ranges_and_the_last_one_is_open():
    levels = default_levels()
    assert [(level.name, level.min_score, level.max_score) for level in levels] == [
        ("Cold", 0, 24), ("Warm", 25, 49), ("Hot", 50, 74), ("Very Hot", 75, None),
    ]  # fmt: skip
    assert [level_for(score, levels) for score in (-3, 0, 24, 25, 49, 50, 74, 75, 10_000)] == [
        None, "Cold", "Cold", "Warm", "Warm", "Hot", "Hot", "Very Hot", "Very Hot",
    ]  # fmt: skip
    assert overlapping(levels, LevelRange("Lukewarm", 40, 60)) == ["Warm", "Hot"]
    assert overlapping(levels, LevelRange("Frozen", -10, -1)) == []


def test_8_profile_rules_numbers_numerically_text_case_insensitively_missing_only_negative():
    rules = (
        ProfileRule(1, "employees", "greater_or_equal", "200", 20),  # "250" vs "200": numbers
        ProfileRule(2, "industry", "in", "SaaS, fintech", 15),
        ProfileRule(3, "title", "contains", "vp", 10),
        ProfileRule(4, "country", "not_equals", "US", 5),  # missing: matches
        ProfileRule(5, "budget", "greater_than", 0, 50),  # missing: no match
        ProfileRule(6, "title", "starts_with", "Head", 7),  # no match
    )
    metadata = {"employees": "250", "industry": "saas", "title": "VP Marketing"}
    assert profile_scores(metadata, [ProfileRuleset(1, rules)]) == {1: 20 + 15 + 10 + 5}
    assert profile_scores(metadata, [ProfileRuleset(1, rules, enabled=False)]) == {}


def test_9_field_mappings_latest_once_and_append():
    mappings = [
        FieldMapping("company", "company", "always_latest"),
        FieldMapping("source", "first_source", "set_once"),
        FieldMapping("page", "pages", "append"),
    ]
    lead = {"company": "Old Co", "first_source": "ads", "pages_list": ["/a", "/b"]}
    event = {"company": "New Co", "source": "email", "page": "/a"}
    assert apply_field_mappings(lead, event, mappings) == {
        "company": "New Co", "first_source": "ads", "pages_list": ["/b", "/a"],
    }  # fmt: skip
    assert apply_field_mappings({"company": "New Co"}, {"company": "New Co"}, mappings) is None
    many = {"pages_list": [f"/{n}" for n in range(10)]}
    assert apply_field_mappings(many, {"page": "/new"}, mappings)["pages_list"] == [
        *(f"/{n}" for n in range(1, 10)), "/new",
    ]  # fmt: skip
