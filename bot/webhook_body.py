"""Reading a webhook request's body: UTF-8 JSON, an object, not nested too deep; anything else is a 400."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # real updates nest about 6 deep


class BadBody(ValueError):
    """The body is not what a messenger sends (the request gets 400)."""


def read_json_object(raw: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The JSON object in `raw`, or BadBody saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("not UTF-8") from None
    if _too_deep(text, max_depth):
        raise BadBody("nested too deep")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise BadBody("not JSON") from None
    if not isinstance(value, dict):
        raise BadBody("not a JSON object")
    return value


def _too_deep(text: str, max_depth: int) -> bool:
    """Whether brackets nest deeper than `max_depth` outside strings (checked before parsing)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif ch in "]}":
            depth -= 1
    return False
