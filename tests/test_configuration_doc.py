"""``docs/configuration.md`` lists every setting with its real default, bounds and a valid
example: adding a setting without documenting it fails here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from annotated_types import Ge, Gt, Le
from pydantic import TypeAdapter

from openvias.algorithms.detector import MODEL_ENV, MODEL_SHA256_ENV
from openvias.settings import Settings

PAGE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
#: Read where they are used (a task's detector), not by ``Settings``.
OUTSIDE_SETTINGS = {MODEL_ENV, MODEL_SHA256_ENV}


@dataclass(frozen=True)
class Row:
    variable: str
    type: str
    default: str
    example: str


def rows() -> dict[str, Row]:
    found = {}
    for line in PAGE.read_text().splitlines():
        if not line.startswith("| `OPENVIAS_"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 5, line
        variable = cells[0].strip("`")
        assert variable not in found, f"{variable} is listed twice"
        found[variable] = Row(variable, cells[1], cells[2], cells[3])
    return found


ROWS = rows()
FIELDS = {f"OPENVIAS_{name.upper()}": name for name in Settings.model_fields}


def code(cell: str) -> str:
    assert re.fullmatch(r"`[^`]+`", cell), f"{cell!r} is not one code span"
    return cell[1:-1]


def test_every_setting_is_on_the_page() -> None:
    missing = set(FIELDS) - set(ROWS)
    assert not missing, f"add {sorted(missing)} to docs/configuration.md"


def test_the_page_lists_only_variables_that_are_read() -> None:
    assert set(ROWS) - set(FIELDS) == OUTSIDE_SETTINGS


@pytest.mark.parametrize("variable", sorted(FIELDS))
def test_the_default_is_the_real_one(variable: str) -> None:
    field = Settings.model_fields[FIELDS[variable]]
    written = ROWS[variable].default
    if field.default is None:
        assert written == "none"
        return
    parsed: Any = TypeAdapter(field.annotation).validate_python(code(written))
    assert parsed == field.default


@pytest.mark.parametrize("variable", sorted(FIELDS))
def test_the_bounds_are_in_the_type(variable: str) -> None:
    lower = upper = ""
    for bound in Settings.model_fields[FIELDS[variable]].metadata:
        if isinstance(bound, Ge):
            lower = number(bound.ge)
        elif isinstance(bound, Gt):
            lower = ">" + number(bound.gt)
        elif isinstance(bound, Le):
            upper = number(bound.le)
    if lower or upper:
        assert f", {lower}..{upper}" in ROWS[variable].type
    else:
        assert ".." not in ROWS[variable].type


def number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@pytest.mark.parametrize("variable", sorted(FIELDS))
def test_the_example_is_accepted(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    field = Settings.model_fields[FIELDS[variable]]
    example = code(ROWS[variable].example)
    monkeypatch.setenv(variable, example)
    value = getattr(Settings(), FIELDS[variable])
    assert value == TypeAdapter(field.annotation).validate_python(example)
