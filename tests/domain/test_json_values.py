"""The rules of what a stored JSON value, an HTTP header and an OBS object key may hold."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic_core import to_json

from openvias.domain.http_headers import header_problem
from openvias.domain.json_values import MAX_DEPTH, MAX_INT, json_problem, repaired
from openvias.domain.object_storage import object_key_problem


def nested(levels: int) -> Any:
    """``levels`` objects inside one another (the outermost counts)."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"a": "\ud800"}, "lone surrogate"),
        ({"\udfff": 1}, "lone surrogate"),
        (nested(MAX_DEPTH + 1), "nesting deeper than 32"),
        ({"a": [math.nan]}, "NaN and Infinity"),
        ({"a": -math.inf}, "NaN and Infinity"),
        ({"a": MAX_INT + 1}, "64 bits"),
        ({"a": -MAX_INT - 1}, "64 bits"),
        ({"a": "x" * 65_537}, "65536 characters"),
        ({str(i): "x" * 60_000 for i in range(5)}, "larger than"),
    ],
)
def test_unwritable_values_are_named(value: Any, reason: str) -> None:
    problem = json_problem(value)
    assert problem is not None
    assert reason in str(problem)


@pytest.mark.parametrize(
    "value",
    [
        nested(MAX_DEPTH),
        {"a": MAX_INT, "b": -MAX_INT, "c": 1e308, "d": "Zoë 火焰 🔥", "e": None, "f": True},
        {"a": "x" * 65_536},
    ],
)
def test_writable_values_pass(value: Any) -> None:
    assert json_problem(value) is None


def test_repair_makes_any_stored_value_writable_and_says_where() -> None:
    stored = {"ok": 1, "bad": "a\ud800b", "\udfff": [math.nan], "deep": nested(300)}
    fixed, changed = repaired(stored)
    assert fixed["ok"] == 1
    assert fixed["bad"] == "a\ufffdb"
    assert fixed["\ufffd"] == [None]
    to_json(fixed)  # raises if anything unwritable is left
    assert "$.bad" in changed
    assert any(path.startswith("$.deep.a.a") for path in changed)
    sound = {"a": [1, "b"]}
    assert repaired(sound) == (sound, [])
    assert repaired(sound)[0] is sound


@pytest.mark.parametrize(
    ("name", "value", "refused"),
    [
        ("X-Token", "Bearer abc.def", False),
        ("X-Empty", "", False),
        ("X-Tab", "a\tb", False),
        ("X-Name", "Zoë", True),
        ("X-Name", "\ud800", True),
        ("X-Name", "a\r\nX-Injected: 1", True),
        ("X-Name", "a\nb", True),
        ("X-Name", " padded", True),
        ("X-Name", "padded ", True),
        ("X-Name", "a\x7f", True),
        ("X-Name", "x" * 4097, True),
        ("Bad Name", "a", True),
        ("Nämé", "a", True),
        ("", "a", True),
        ("x" * 257, "a", True),
    ],
)
def test_header_rule(name: str, value: str, refused: bool) -> None:
    problem = header_problem(name, value)
    assert (problem is not None) == refused
    if problem is not None and len(value) > 1:
        assert value not in problem  # a value may be a credential


@pytest.mark.parametrize(
    ("key", "refused"),
    [
        ("videos/a.mp4", False),
        ("videos/", False),
        ("a..b/.c", False),
        ("videos/../a.mp4", True),
        ("../a.mp4", True),
        ("videos/./a.mp4", True),
        ("videos/..", True),
        ("videos//a.mp4", True),
        ("/videos/a.mp4", True),
        ("", True),
    ],
)
def test_object_key_rule(key: str, refused: bool) -> None:
    assert (object_key_problem(key) is not None) == refused
