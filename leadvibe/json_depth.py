"""JSON documents that clients send are parsed here: at most MAX_JSON_DEPTH levels of arrays
and objects, so that nesting cannot exhaust the stack in the parser or in anything that walks
the result afterwards (serializers, the renderer, PostgreSQL's jsonb).

A document deeper than the limit raises JsonTooDeepError (a ValueError, as any other invalid
JSON), whether it is deep enough to exhaust the parser's recursion or not.
"""

import json
from typing import Any

MAX_JSON_DEPTH = 64


class JsonTooDeepError(ValueError):
    def __init__(self):
        super().__init__(f"nested deeper than {MAX_JSON_DEPTH} levels")


def json_parse(text: str, *, decoder: json.JSONDecoder | None = None) -> Any:
    """`text` parsed by `decoder` (the standard one by default), within the depth limit."""
    try:
        value = (decoder or _STANDARD_DECODER).decode(text)
    except RecursionError:
        raise JsonTooDeepError() from None
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise JsonTooDeepError()
    return value


_STANDARD_DECODER = json.JSONDecoder()


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (iteratively: the value may be
    nested almost as deeply as the recursion limit)."""
    pending = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        container, depth = pending.pop()
        if depth > limit:
            return True
        children = container.values() if isinstance(container, dict) else container
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
