"""Conditions on metadata, shared by attribute filters (event metadata, §4.2) and profile and
account rules (lead and account metadata, §4.8).

Numbers compare numerically, text case-insensitively. A missing property matches only the
negative conditions (`not_equals`, `not_contains`, `not_in`, `not_exists`).
"""

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

MISSING = object()


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value).casefold()


def _equal(actual: Any, expected: Any) -> bool:
    actual_number, expected_number = _number(actual), _number(expected)
    if actual_number is not None and expected_number is not None:
        return actual_number == expected_number
    return _text(actual) == _text(expected)


def _compare(actual: Any, expected: Any, test: Callable[[Decimal, Decimal], bool]) -> bool:
    actual_number, expected_number = _number(actual), _number(expected)
    if actual_number is None or expected_number is None:
        return False
    return test(actual_number, expected_number)


def _members(expected: Any) -> list[Any]:
    if isinstance(expected, list | tuple):
        return list(expected)
    if isinstance(expected, str):
        return [part.strip() for part in expected.split(",")]
    return [expected]


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list | tuple):
        return any(_equal(item, expected) for item in actual)
    return _text(expected) in _text(actual)


_POSITIVE: dict[str, Callable[[Any, Any], bool]] = {
    "equals": _equal,
    "contains": _contains,
    "starts_with": lambda actual, expected: _text(actual).startswith(_text(expected)),
    "ends_with": lambda actual, expected: _text(actual).endswith(_text(expected)),
    "greater_than": lambda a, e: _compare(a, e, lambda x, y: x > y),
    "greater_or_equal": lambda a, e: _compare(a, e, lambda x, y: x >= y),
    "less_than": lambda a, e: _compare(a, e, lambda x, y: x < y),
    "less_or_equal": lambda a, e: _compare(a, e, lambda x, y: x <= y),
    "in": lambda actual, expected: any(_equal(actual, item) for item in _members(expected)),
    "exists": lambda actual, expected: True,
}
_NEGATIONS = {
    "not_equals": "equals",
    "not_contains": "contains",
    "not_in": "in",
    "not_exists": "exists",
}
OPERATORS = (*_POSITIVE, *_NEGATIONS)


def condition_holds(metadata: Mapping[str, Any], prop: str, operator: str, value: Any) -> bool:
    """Whether `metadata[prop] <operator> value`. A dotted `prop` reads nested objects."""
    actual = _lookup(metadata, prop)
    if operator in _NEGATIONS:
        return actual is MISSING or not _POSITIVE[_NEGATIONS[operator]](actual, value)
    if actual is MISSING:
        return False
    return _POSITIVE[operator](actual, value)


def _lookup(metadata: Mapping[str, Any], prop: str) -> Any:
    if prop in metadata:
        return metadata[prop]
    current: Any = metadata
    for part in prop.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return MISSING
        current = current[part]
    return current
