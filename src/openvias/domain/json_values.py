"""What a JSON value must be for every later read to be able to write it out again.

Python parses JSON into values that cannot always be serialised back: a lone surrogate
(``"\\ud800"``) is a valid JSON escape but no UTF-8; ``NaN`` and ``Infinity`` are not JSON;
nesting deeper than the serialisers' recursion limits fails; and numbers beyond 64 bits do
not survive the stores and clients in between. Writes refuse such values
(:func:`json_problem`); reads of rows stored before that repair them (:func:`repaired`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

#: Nesting of objects and arrays in a free-form value (``config.common`` and the like).
MAX_DEPTH = 32
#: Characters of one string or object key.
MAX_STRING = 65_536
#: Characters of all strings and keys plus one per value: a bound on the stored size.
MAX_SIZE = 262_144
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Integers a 64-bit signed column, PostgreSQL ``bigint`` and most JSON libraries keep.
MAX_INT = 2**63 - 1


def is_encodable(text: str) -> bool:
    """True when ``text`` can be written as UTF-8 (no lone surrogate)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def encodable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD."""
    if is_encodable(text):
        return text
    return _SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class JsonProblem:
    """Where (``$.a[0].b``) and what is wrong with a value."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def json_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> JsonProblem | None:
    """The first reason ``value`` cannot be stored and shown again, or None when it can."""
    size = 0
    # Depth-first with an explicit stack: no recursion limit of our own to hit.
    stack: list[tuple[Any, str, int]] = [(value, "$", 0)]
    while stack:
        item, path, depth = stack.pop()
        size += 1
        if isinstance(item, str):
            size += len(item)
            problem = _text_problem(item)
            if problem:
                return JsonProblem(path, problem)
        elif isinstance(item, bool) or item is None:
            pass
        elif isinstance(item, int):
            if not -MAX_INT <= item <= MAX_INT:
                return JsonProblem(path, "integers are limited to 64 bits (±9223372036854775807)")
        elif isinstance(item, float):
            if not math.isfinite(item):
                return JsonProblem(path, "NaN and Infinity are not JSON numbers")
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                return JsonProblem(path, f"nesting deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        return JsonProblem(path, "object keys must be strings")
                    size += len(key)
                    problem = _text_problem(key)
                    if problem:
                        return JsonProblem(f"{path}.{encodable(key)[:40]}", f"key: {problem}")
                    stack.append((child, f"{path}.{key[:40]}", depth + 1))
            else:
                stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        else:
            return JsonProblem(path, f"{type(item).__name__} is not a JSON value")
        if size > MAX_SIZE:
            return JsonProblem("$", f"larger than {MAX_SIZE} characters")
    return None


def _text_problem(text: str) -> str | None:
    if len(text) > MAX_STRING:
        return f"strings are limited to {MAX_STRING} characters"
    if not is_encodable(text):
        return "a lone surrogate (\\ud800-\\udfff) is not a Unicode character"
    return None


def repaired(value: Any, *, max_depth: int = MAX_DEPTH) -> tuple[Any, list[str]]:
    """``value`` made writable for display, and the paths that were changed (empty when
    ``value`` is returned as is): lone surrogates become U+FFFD, non-finite numbers and
    what lies deeper than ``max_depth`` become null. Other objects (models already built)
    are kept. Recursive, but only down to ``max_depth``."""
    changed: list[str] = []
    fixed = _repair(value, "$", 0, max_depth, changed)
    return (value if not changed else fixed), changed


def _repair(item: Any, path: str, depth: int, max_depth: int, changed: list[str]) -> Any:
    if isinstance(item, str):
        if is_encodable(item):
            return item
        changed.append(path)
        return encodable(item)
    if isinstance(item, float):
        if math.isfinite(item):
            return item
        changed.append(path)
        return None
    if not isinstance(item, dict | list | tuple):
        return item
    if depth >= max_depth:
        changed.append(path)
        return None
    if isinstance(item, dict):
        fixed: dict[Any, Any] = {}
        for key, child in item.items():
            where = f"{path}.{encodable(str(key))[:40]}"
            if isinstance(key, str) and not is_encodable(key):
                changed.append(where)
                key = encodable(key)
            fixed[key] = _repair(child, where, depth + 1, max_depth, changed)
        return fixed
    return [
        _repair(child, f"{path}[{i}]", depth + 1, max_depth, changed)
        for i, child in enumerate(item)
    ]
