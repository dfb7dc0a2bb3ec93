"""The segment rule compiler (architecture.md §8): one reading of a rule set, two back ends.

- `segment_sql`: a boolean SQL expression over a lead row and the relations the caller joins
  (`SqlSources` names them), for full evaluation: recompute, preview, backfills.
- `segment_predicate`: the same rules as a function of one lead's `LeadFacts`, for the
  incremental path that re-evaluates the leads a change touched.
- `engagement_score_bounds`: a range holding the primary engagement score (0 when missing) of
  every lead the rules hold for, so member pages walk the score index from where members
  can be rather than from the top.

Both must agree on every lead; the semantics they share:
- a segment's active rules are grouped by `logic_group`; a group holds when all (`AND`) or
  one (`OR`) of its rules hold; a lead is a member when every group holds; no active rule,
  no member;
- a value is read at `field_name`, a dotted path into nested objects; a missing key (or a
  path through a non-object) is missing, and only `is_empty` / `is_not_empty` can hold then;
- `equals` / `not_equals` compare JSON scalars rendered as text (`true`, `42`), ignoring case;
- `contains` / `starts_with` / `ends_with` test strings ignoring case, a list holding when one
  of its strings does;
- numeric operators hold when both sides are numbers (or strings that read as one);
- `is_empty` holds for a missing key, `null`, `""` and `[]`;
- level rules compare the name of the level containing the score (no score: no level);
  `engagement_score` is the primary-ruleset score, 0 when the lead has none;
- `event_metadata` holds once one unsuppressed processed event of the lead (of `event_type`
  when given) satisfies the operator; saved rules read it from the per-lead match flags,
  unsaved ones (preview) and backfills from the events themselves.

Pure: no database, no Django.
"""

import json
import math
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import reduce
from typing import Any, Final

from scoring.engine.levels import LevelRange, level_for

LEAD_METADATA = "lead_metadata"
EVENT_METADATA = "event_metadata"
ENGAGEMENT_LEVEL = "engagement_level"
PROFILE_LEVEL = "profile_level"
ACCOUNT_METADATA = "account_metadata"
ACCOUNT_LEVEL = "account_level"
ENGAGEMENT_SCORE = "engagement_score"
RULE_TYPES: Final = (
    LEAD_METADATA,
    EVENT_METADATA,
    ENGAGEMENT_LEVEL,
    PROFILE_LEVEL,
    ACCOUNT_METADATA,
    ACCOUNT_LEVEL,
    ENGAGEMENT_SCORE,
)
METADATA_TYPES: Final = (LEAD_METADATA, EVENT_METADATA, ACCOUNT_METADATA)
LEVEL_TYPES: Final = (ENGAGEMENT_LEVEL, PROFILE_LEVEL, ACCOUNT_LEVEL)
ABM_TYPES: Final = (ACCOUNT_METADATA, ACCOUNT_LEVEL)

EQUALITY: Final = ("equals", "not_equals")
TEXT: Final = ("contains", "starts_with", "ends_with")
NUMERIC: Final = {
    "greater_than": ">",
    "less_than": "<",
    "greater_than_or_equal": ">=",
    "less_than_or_equal": "<=",
}
EMPTINESS: Final = ("is_empty", "is_not_empty")
OPERATORS: Final = (*EQUALITY, *TEXT, *NUMERIC, *EMPTINESS)
ALLOWED_OPERATORS: Final[Mapping[str, tuple[str, ...]]] = {
    **dict.fromkeys(METADATA_TYPES, OPERATORS),
    **dict.fromkeys(LEVEL_TYPES, EQUALITY),
    ENGAGEMENT_SCORE: (*EQUALITY, *NUMERIC),
}
LOGIC_OPS: Final = ("AND", "OR")

# A number as a rule value or a metadata string: what both PostgreSQL's numeric and Decimal
# read the same way (no NaN or infinities; a bounded exponent keeps numeric in range).
NUMBER = r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$"
_NUMBER = re.compile(NUMBER)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as the compiler reads it; `key` names a saved rule's match flags (None for an
    unsaved one)."""

    rule_type: str
    operator: str
    field_name: str = ""
    value: str = ""
    event_type: str = ""
    logic_group: int = 0
    logic_op: str = "AND"
    key: int | None = None


@dataclass(frozen=True, slots=True)
class LevelSets:
    """The OU's levels of each kind, in the order a score is matched against them."""

    engagement: tuple[LevelRange, ...] = ()
    profile: tuple[LevelRange, ...] = ()
    account: tuple[LevelRange, ...] = ()

    def of(self, rule_type: str) -> tuple[LevelRange, ...]:
        return {
            ENGAGEMENT_LEVEL: self.engagement,
            PROFILE_LEVEL: self.profile,
            ACCOUNT_LEVEL: self.account,
        }[rule_type]


# --- Validation ---------------------------------------------------------------------------


def rule_errors(rule: RuleSpec, *, levels: LevelSets) -> dict[str, str]:
    """What is wrong with one rule, by field (empty when nothing is)."""
    if rule.rule_type not in RULE_TYPES:
        return {"rule_type": f"Must be one of: {', '.join(RULE_TYPES)}."}
    if rule.operator not in OPERATORS:
        return {"operator": f"Must be one of: {', '.join(OPERATORS)}."}
    allowed = ALLOWED_OPERATORS[rule.rule_type]
    if rule.operator not in allowed:
        return {"operator": f"{rule.rule_type} rules take: {', '.join(allowed)}."}
    if rule.logic_op not in LOGIC_OPS:
        return {"logic_op": "Must be AND or OR."}
    if rule.rule_type in METADATA_TYPES and not _path(rule.field_name):
        return {"field_name": "Name a metadata key (a dotted path for nested objects)."}
    if rule.rule_type in LEVEL_TYPES:
        names = [level.name for level in levels.of(rule.rule_type)]
        if rule.value.lower() not in {name.lower() for name in names}:
            kind = rule.rule_type.removesuffix("_level")
            return {"value": f"No {kind} level named {rule.value!r}; levels: {', '.join(names)}."}
    needs_number = rule.operator in NUMERIC or rule.rule_type == ENGAGEMENT_SCORE
    if needs_number and _number(rule.value) is None:
        return {"value": f"{rule.operator} needs a number."}
    if rule.event_type and rule.rule_type != EVENT_METADATA:
        return {"event_type": "Only event_metadata rules take an event type."}
    return {}


def logic_op_errors(rules: Iterable[RuleSpec]) -> dict[str, str]:
    """The groups whose active rules mix AND and OR."""
    ops: dict[int, set[str]] = defaultdict(set)
    for rule in rules:
        ops[rule.logic_group].add(rule.logic_op)
    mixed = sorted(group for group, seen in ops.items() if len(seen) > 1)
    if not mixed:
        return {}
    return {"logic_op": f"Rules of logic_group {mixed[0]} must share one logic_op (AND or OR)."}


def _groups(rules: Iterable[RuleSpec]) -> list[tuple[str, list[RuleSpec]]]:
    by_group: dict[int, list[RuleSpec]] = defaultdict(list)
    for rule in rules:
        by_group[rule.logic_group].append(rule)
    return [(members[0].logic_op, members) for _, members in sorted(by_group.items())]


def _path(field_name: str) -> list[str]:
    parts = field_name.split(".")
    return parts if all(parts) else []


def _number(text: str) -> Decimal | None:
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


# --- Per-lead predicate -------------------------------------------------------------------


class _Missing:
    pass


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What the rules read of one lead; scores are None where the lead has none."""

    metadata: Mapping[str, Any]
    account_metadata: Mapping[str, Any] | None = None
    engagement_score: int | None = None
    profile_score: int | None = None
    account_score: int | None = None
    matched_rules: frozenset[int] = field(default_factory=frozenset)


def value_at(document: Any, field_name: str) -> Any:
    """The value at a dotted path, or MISSING (as PostgreSQL's `#>`: list items by index)."""
    value = document
    for part in _path(field_name) or [field_name]:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and re.fullmatch(r"-?[0-9]{1,9}", part):
            index = int(part)
            if not -len(value) <= index < len(value):
                return MISSING
            value = value[index]
        else:
            return MISSING
    return value


def _rendered(value: Any) -> str | None:
    """A JSON scalar as PostgreSQL's `#>> '{}'` renders it; None for null and containers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        return _number(value)
    return None


def value_matches(operator: str, value: Any, expected: str) -> bool:
    """Whether a metadata value (or MISSING) satisfies `operator` against the rule's value."""
    empty = value is MISSING or value is None or value == "" or value == []
    if operator == "is_empty":
        return empty
    if operator == "is_not_empty":
        return not empty
    if value is MISSING:
        return False
    if operator in EQUALITY:
        rendered = _rendered(value)
        equal = rendered is not None and rendered.lower() == expected.lower()
        return equal if operator == "equals" else not equal
    if operator in TEXT:
        texts = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
        needle = expected.lower()
        test: Callable[[str], bool] = {
            "contains": lambda text: needle in text,
            "starts_with": lambda text: text.startswith(needle),
            "ends_with": lambda text: text.endswith(needle),
        }[operator]
        return any(test(text.lower()) for text in texts)
    left, right = _as_number(value), _number(expected)
    if left is None or right is None:
        return False
    return {
        ">": left > right,
        "<": left < right,
        ">=": left >= right,
        "<=": left <= right,
    }[NUMERIC[operator]]


def _level_matches(rule: RuleSpec, score: int | None, levels: LevelSets) -> bool:
    name = level_for(score, levels.of(rule.rule_type)) if score is not None else None
    if name is None:
        return False
    equal = name.lower() == rule.value.lower()
    return equal if rule.operator == "equals" else not equal


def rule_holds(rule: RuleSpec, facts: LeadFacts, levels: LevelSets) -> bool:
    if rule.rule_type == LEAD_METADATA:
        return value_matches(rule.operator, value_at(facts.metadata, rule.field_name), rule.value)
    if rule.rule_type == ACCOUNT_METADATA:
        account = facts.account_metadata
        value = MISSING if account is None else value_at(account, rule.field_name)
        return value_matches(rule.operator, value, rule.value)
    if rule.rule_type == EVENT_METADATA:
        return rule.key is not None and rule.key in facts.matched_rules
    if rule.rule_type == ENGAGEMENT_SCORE:
        primary = facts.engagement_score or 0
        if rule.operator in EQUALITY:
            equal = Decimal(primary) == _number(rule.value)
            return equal if rule.operator == "equals" else not equal
        return value_matches(rule.operator, primary, rule.value)
    score = {
        ENGAGEMENT_LEVEL: facts.engagement_score,
        PROFILE_LEVEL: facts.profile_score,
        ACCOUNT_LEVEL: facts.account_score,
    }[rule.rule_type]
    return _level_matches(rule, score, levels)


def segment_predicate(rules: Sequence[RuleSpec], levels: LevelSets) -> Callable[[LeadFacts], bool]:
    """Whether a lead is a member, by the segment's active rules."""
    groups = _groups(rules)

    def holds(facts: LeadFacts) -> bool:
        if not groups:
            return False
        return all(
            (all if op == "AND" else any)(rule_holds(rule, facts, levels) for rule in members)
            for op, members in groups
        )

    return holds


def event_rule_matches(rule: RuleSpec, *, event_type: str, metadata: Mapping[str, Any]) -> bool:
    """Whether one unsuppressed event sets an `event_metadata` rule's match flag."""
    if rule.event_type and rule.event_type != event_type:
        return False
    return value_matches(rule.operator, value_at(metadata, rule.field_name), rule.value)


# --- Score bounds ---------------------------------------------------------------------------

# Scores are 32-bit integers; a bound past them is kept one step outside, so it still fits a
# bigint parameter (which the score index compares without a cast).
_SCORE_MIN, _SCORE_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True, slots=True)
class ScoreBounds:
    """Inclusive bounds of a score (None: unbounded); `low > high` holds no score."""

    low: int | None = None
    high: int | None = None

    @property
    def empty(self) -> bool:
        return self.low is not None and self.high is not None and self.low > self.high

    def within(self, other: "ScoreBounds") -> "ScoreBounds":
        lows = [b for b in (self.low, other.low) if b is not None]
        highs = [b for b in (self.high, other.high) if b is not None]
        return ScoreBounds(max(lows, default=None), min(highs, default=None))

    def hull(self, other: "ScoreBounds") -> "ScoreBounds":
        if self.empty or other.empty:
            return other if self.empty else self
        low = None if self.low is None or other.low is None else min(self.low, other.low)
        high = None if self.high is None or other.high is None else max(self.high, other.high)
        return ScoreBounds(low, high)


_NO_SCORE = ScoreBounds(1, 0)


def engagement_score_bounds(rules: Sequence[RuleSpec], levels: LevelSets) -> ScoreBounds:
    """Bounds of `COALESCE(primary engagement score, 0)` of every lead the rules hold for:
    the groups' bounds intersected, an AND group's rules' intersected, an OR group's hulled;
    a rule reading no engagement score is unbounded."""
    bounds = ScoreBounds()
    for op, members in _groups(rules):
        each = [_rule_score_bounds(rule, levels) for rule in members]
        bounds = bounds.within(
            reduce(ScoreBounds.within if op == "AND" else ScoreBounds.hull, each)
        )
    return bounds


def _rule_score_bounds(rule: RuleSpec, levels: LevelSets) -> ScoreBounds:
    if rule.rule_type == ENGAGEMENT_LEVEL:
        held = [
            ScoreBounds(level.min_score, level.max_score)
            for level in levels.engagement
            if (level.name.lower() == rule.value.lower()) == (rule.operator == "equals")
        ]
        return reduce(ScoreBounds.hull, held, _NO_SCORE)  # no score: no level
    number = _number(rule.value) if rule.rule_type == ENGAGEMENT_SCORE else None
    if number is None or rule.operator == "not_equals":
        return ScoreBounds()
    floor, ceiling = (
        max(_SCORE_MIN - 1, min(_SCORE_MAX + 1, rounded(number)))
        for rounded in (math.floor, math.ceil)
    )
    return {
        "equals": ScoreBounds(ceiling, floor),
        "greater_than": ScoreBounds(low=floor + 1),
        "greater_than_or_equal": ScoreBounds(low=ceiling),
        "less_than": ScoreBounds(high=ceiling - 1),
        "less_than_or_equal": ScoreBounds(high=floor),
    }[rule.operator]


# --- SQL ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreRows:
    """Where a kind of score is read: `table`'s row whose `key` column equals the SQL `owner`
    (the lead's key, or its account's) under the primary `ruleset` (None: no score)."""

    table: str
    key: str
    owner: str
    ruleset: int | None


@dataclass(frozen=True, slots=True)
class SqlSources:
    """The SQL names the compiled expression reads: columns of the caller's joins, the score
    rows, and the tables of events and match flags. Score rules are EXISTS tests on the score
    rows, not comparisons of joined columns: an OR with another rule then hashes only the
    matching scores, and a level alone is a semi-join, where a join reads every score."""

    lead_key: str
    lead_metadata: str
    account_metadata: str
    engagement_scores: ScoreRows
    profile_scores: ScoreRows
    account_scores: ScoreRows
    events_table: str
    matches_table: str
    # Saved rules read their match flags; False reads the events (preview, backfill).
    event_rules_from_matches: bool = True


@dataclass
class _Sql:
    params: list[Any] = field(default_factory=list)

    def param(self, value: Any) -> str:
        self.params.append(value)
        return "%s"


def segment_sql(
    rules: Sequence[RuleSpec], levels: LevelSets, sources: SqlSources
) -> tuple[str, list[Any]]:
    """A boolean SQL expression (never NULL) holding for the members, and its parameters."""
    groups = _groups(rules)
    if not groups:
        return "FALSE", []
    sql = _Sql()
    parts = []
    for op, members in groups:
        atoms = [_rule_sql(rule, levels, sources, sql) for rule in members]
        parts.append("(" + f" {op} ".join(atoms) + ")")
    return "(" + " AND ".join(parts) + ")", sql.params


def event_match_sql(rule: RuleSpec, *, event_alias: str, sql_params: list[Any]) -> str:
    """The condition an event row (alias `event_alias`) meets to set the rule's match flag;
    appends its parameters to `sql_params`."""
    sql = _Sql(sql_params)
    conditions = [
        f"{event_alias}.status = 'processed'",
        f"{event_alias}.suppression_reason IS NULL",
        f"{event_alias}.source <> 'system'",
    ]
    if rule.event_type:
        conditions.append(f"{event_alias}.event_type = {sql.param(rule.event_type)}")
    conditions.append(_value_sql(rule, f"{event_alias}.metadata", sql))
    return " AND ".join(conditions)


def _rule_sql(rule: RuleSpec, levels: LevelSets, sources: SqlSources, sql: _Sql) -> str:
    if rule.rule_type == LEAD_METADATA:
        return _value_sql(rule, sources.lead_metadata, sql)
    if rule.rule_type == ACCOUNT_METADATA:
        return _value_sql(rule, sources.account_metadata, sql)
    if rule.rule_type == EVENT_METADATA:
        if sources.event_rules_from_matches and rule.key is not None:
            return (
                f"EXISTS (SELECT 1 FROM {sources.matches_table} m WHERE "  # noqa: S608 - values bound
                f"m.rule_id = {sql.param(rule.key)} AND m.lead_id = {sources.lead_key})"
            )
        condition = event_match_sql(rule, event_alias="e", sql_params=sql.params)
        return (
            f"EXISTS (SELECT 1 FROM {sources.events_table} e "  # noqa: S608 - values bound
            f"WHERE e.lead_id = {sources.lead_key} AND {condition})"
        )
    if rule.rule_type == ENGAGEMENT_SCORE:
        number = _number(rule.value)
        if number is None:  # refused when the rule is saved; a preview's holds for no lead
            return "FALSE"
        op = {"equals": "=", "not_equals": "<>", **NUMERIC}[rule.operator]
        at_zero = _COMPARED[op](Decimal(0), number)  # a lead without a score has 0
        rows = sources.engagement_scores
        if rows.ruleset is None:
            return "TRUE" if at_zero else "FALSE"
        test = f"s.score {op} {sql.param(str(number))}::numeric"
        if at_zero:  # every score row the lead has (none, or the primary's) holds
            return f"NOT {_score_rows_sql(rows, f'NOT ({test})')}"
        return _score_rows_sql(rows, test)
    rows = {
        ENGAGEMENT_LEVEL: sources.engagement_scores,
        PROFILE_LEVEL: sources.profile_scores,
        ACCOUNT_LEVEL: sources.account_scores,
    }[rule.rule_type]
    if rows.ruleset is None:
        return "FALSE"  # no score, no level
    # Comparisons of the score (not a CASE naming its level): the planner can then read a
    # level's leads from the score index instead of naming the level of every lead.
    ranges = levels.of(rule.rule_type)
    wanted = rule.value.lower()
    held = []
    for index, level in enumerate(ranges):
        if (level.name.lower() == wanted) != (rule.operator == "equals"):
            continue
        within = _range_sql("s.score", level, sql)
        # The first level containing the score names it: earlier overlapping ones win.
        earlier = [
            _range_sql("s.score", other, sql) for other in ranges[:index] if other.overlaps(level)
        ]
        held.append(f"({within} AND NOT ({' OR '.join(earlier)}))" if earlier else within)
    if not held:
        return "FALSE"
    return _score_rows_sql(rows, " OR ".join(held))


def _score_rows_sql(rows: ScoreRows, test: str) -> str:
    """Whether the owner has a score row of the primary ruleset passing `test` (on `s.score`).
    The ruleset's key is written as a literal: the test's parameters are already taken."""
    return (
        f"EXISTS (SELECT 1 FROM {rows.table} s WHERE s.{rows.key} = {rows.owner} "  # noqa: S608
        f"AND s.ruleset_id = {int(rows.ruleset or 0)} AND ({test}))"
    )


_COMPARED: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _range_sql(score: str, level: LevelRange, sql: _Sql) -> str:
    lower = f"{score} >= {sql.param(level.min_score)}"
    if level.max_score is None:
        return f"({lower})"
    return f"({lower} AND {score} <= {sql.param(level.max_score)})"


def _value_sql(rule: RuleSpec, document: str, sql: _Sql) -> str:
    """The rule's operator on the value at its path. The test reads the value (`v`), its text
    (`t`) and the rule's value (`x`) as often as it needs, each read written out in place: a
    subquery naming them once is a subplan run per lead (7.4 s against 2.2 s for one equality
    over a million leads), and so is one walking a list, which also keeps the scan from
    running in parallel: lists are walked by `segments_strings_match` (migration 0005). A
    top-level key is read with `->`/`->>`, cheaper than a path (`#>`/`#>>`)."""
    v, t, x = _VALUE, _TEXT, _EXPECTED
    empty = f"({v} IS NULL OR {v} IN ('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb))"
    if rule.operator == "is_empty":
        test = empty
    elif rule.operator == "is_not_empty":
        test = f"(NOT {empty})"
    elif rule.operator in EQUALITY:
        equal = f"COALESCE(lower({t}) = lower({x}), FALSE)"
        if rule.value.startswith(("[", "{")):  # `->>` renders a list or an object as JSON
            equal = f"(jsonb_typeof({v}) IN ('string', 'number', 'boolean') AND {equal})"
        test = equal if rule.operator == "equals" else f"({v} IS NOT NULL AND NOT {equal})"
    elif rule.operator in TEXT:
        pattern = {
            "contains": "strpos(lower({s}), lower({x})) > 0",
            "starts_with": "starts_with(lower({s}), lower({x}))",
            "ends_with": "starts_with(reverse(lower({s})), reverse(lower({x})))",
        }[rule.operator]
        test = (
            f"CASE jsonb_typeof({v}) WHEN 'string' THEN {pattern.format(s=t, x=x)} "
            # The operator is one of TEXT's names, written as a literal.
            f"WHEN 'array' THEN segments_strings_match({v}, '{rule.operator}', {x}) "
            "ELSE FALSE END"
        )
    else:
        number = (
            f"CASE WHEN jsonb_typeof({v}) = 'number' THEN {t}::numeric "
            f"WHEN jsonb_typeof({v}) = 'string' AND {t} ~ '{NUMBER}' "
            f"THEN trim({t})::numeric END"
        )
        test = f"({number}) {NUMERIC[rule.operator]} ({x})::numeric"
    path = _path(rule.field_name) or [rule.field_name]
    top_level = len(path) == 1 and not re.fullmatch(r"-?[0-9]+", path[0])  # `#>` indexes lists
    expected = str(_number(rule.value)) if rule.operator in NUMERIC else rule.value
    parts = []
    for part in re.split(f"({_VALUE}|{_TEXT}|{_EXPECTED})", test):
        if part in (_VALUE, _TEXT):
            arrow = ("->" if top_level else "#>") + (">" if part == _TEXT else "")
            key = sql.param(path[0]) if top_level else f"{sql.param(path)}::text[]"
            part = f"({document} {arrow} {key})"
        elif part == _EXPECTED:
            part = f"{sql.param(expected)}::text"
        parts.append(part)
    return f"COALESCE({''.join(parts)}, FALSE)"


# Where `_value_sql`'s test reads the value, its text and the rule's value.
_VALUE, _TEXT, _EXPECTED = "@value@", "@text@", "@expected@"
