"""The labelled data set of ``openvias evaluate``: its JSON model, schema and checks.

A data set is a folder of clips and pictures plus one ``dataset.json`` (``docs/evaluate.md``
shows it). Paths inside are relative to the folder, with ``/`` separators. Two sections,
either may be absent:

- ``smoke_fire``: per video the intervals (seconds) in which fire or smoke is visible
  (``end`` null = to the end of the file; optional ``kinds`` and ``boxes``), an empty list
  for a negative video; per picture ``positive`` or ``negative``;
- ``people``: the shape of ``groundtruth.json`` of the people data (``clips`` by path:
  ``lines`` with ``counts``/``events``, ``polygons`` with ``inside_intervals``,
  ``tolerance_s``, ``people_inside``), checked for the keys the scoring reads and kept
  whole otherwise.

Pure: parsing a mapping, no file access (the loader in ``engine/evaluation_data.py`` reads
the folder and checks that the files exist).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FORMAT: Literal["openvias-dataset/1"] = "openvias-dataset/1"
FILE_NAME = "dataset.json"


Kind = Literal["fire", "smoke"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Box(_Model):
    """Pixels of the file at its native size, origin top-left; ``t`` in seconds."""

    t: float | None = None
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    w: int = Field(gt=0)
    h: int = Field(gt=0)


class TruthInterval(_Model):
    start: float = Field(ge=0)
    #: null = to the end of the file.
    end: float | None = None
    kinds: list[Kind] = Field(default_factory=lambda: list[Kind](["fire"]))
    boxes: list[Box] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> TruthInterval:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class SmokeFireVideo(_Model):
    intervals: list[TruthInterval]
    label: str = ""


class SmokeFireSection(_Model):
    #: An interval counts as detected in time when its first alarm is at most this late.
    deadline_s: float = Field(5.0, ge=0)
    #: Alarms this long before an interval starts or after it ends still match it.
    tolerance_s: float = Field(0.0, ge=0)
    videos: dict[str, SmokeFireVideo] = Field(default_factory=dict)
    images: dict[str, Literal["positive", "negative"]] = Field(default_factory=dict)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class PeopleLine(_Open):
    a: tuple[int, int]
    b: tuple[int, int]
    counts: dict[str, int] = Field(default_factory=dict)
    events: list[dict[str, Any]] = Field(default_factory=list)


class Occupancy(_Open):
    t: float
    count: int
    range: tuple[int, int] | None = None


class PeoplePolygon(_Open):
    points: list[tuple[int, int]] = Field(min_length=3)
    inside_intervals: list[tuple[float, float]] = Field(default_factory=list)
    tolerance_s: float = Field(0.5, ge=0)
    people_inside: list[Occupancy] = Field(default_factory=list)


class PeopleClip(_Open):
    duration_s: float | None = None
    lines: dict[str, PeopleLine] = Field(default_factory=dict)
    polygons: dict[str, PeoplePolygon] = Field(default_factory=dict)


class PeopleSection(_Open):
    clips: dict[str, PeopleClip]


class Dataset(_Model):
    format: Literal["openvias-dataset/1"] = FORMAT
    description: str = ""
    smoke_fire: SmokeFireSection | None = None
    people: PeopleSection | None = None

    def files(self) -> list[str]:
        """Every file the data set names, in a stable order."""
        names: list[str] = []
        if self.smoke_fire is not None:
            names += [*self.smoke_fire.videos, *self.smoke_fire.images]
        if self.people is not None:
            names += list(self.people.clips)
        return names


class DatasetError(ValueError):
    """A data set that cannot be used; the message names the file, key and problem."""


def parse_dataset(text: str | bytes, source: str) -> Dataset:
    """The data set in the JSON ``text``; ``source`` names it in errors."""
    try:
        dataset = Dataset.model_validate_json(text)
    except ValidationError as exc:
        raise DatasetError(describe(exc, source)) from None
    for name in dataset.files():
        if name.startswith("/") or ".." in name.split("/") or not name.strip():
            raise DatasetError(f"{source}: {name!r}: paths must be relative inside the folder")
    return dataset


def describe(error: ValidationError, source: str) -> str:
    """One line: the file, then per problem its key path, what is wrong and what was given."""
    rows = []
    for detail in error.errors(include_url=False):
        key = ".".join(str(part) for part in detail["loc"]) or "(top level)"
        given = json.dumps(detail.get("input"), default=str)
        given = given if len(given) <= 60 else given[:57] + "..."
        message = str(detail["msg"]).removeprefix("Value error, ")
        rows.append(f"{key}: {message} (got {given})")
    return f"{source}: " + "; ".join(rows)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``dataset.json`` (``openvias evaluate --schema`` prints it)."""
    schema = Dataset.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "openvias evaluation data set"
    return schema
