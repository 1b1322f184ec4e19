"""Shared wire pieces: the base model, the error body, the id patterns."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
)

#: Path id pattern of sources, groups, tasks and batch tasks.
RESOURCE_ID_PATTERN = r"^[a-z0-9-_]{4,36}$"
PROJECT_ID_PATTERN = r"^[a-zA-Z0-9-]{1,64}$"
CJK = "\u4e00-\u9fa5"

ResourceId = Annotated[str, Field(pattern=RESOURCE_ID_PATTERN, max_length=36)]


class WireModel(BaseModel):
    """Requests ignore unknown keys (official examples carry extra ones). Patterns run on
    pydantic's Rust engine, whose ``$`` is the end of the input as in JSON Schema; the few
    definitions with look-arounds use :func:`fullmatch` instead."""

    model_config = ConfigDict(extra="ignore", regex_engine="rust-regex", populate_by_name=True)


def fullmatch(pattern: str) -> AfterValidator:
    """For the definitions' patterns with look-arounds (OBS bucket and path), which only
    Python's ``re`` runs: ``fullmatch`` keeps ``$`` from accepting a final newline. Pair it
    with :func:`pattern_schema` so the OpenAPI still states the definition's pattern."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"String should match pattern '{pattern}'")
        return value

    return AfterValidator(check)


def pattern_schema(pattern: str, max_length: int) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "maxLength": max_length, "pattern": pattern})


class ErrorBody(BaseModel):
    """The VIAS error body, on every failure of every route."""

    error_code: str = Field(examples=["VIAS.00010001"])
    error_msg: str = Field(examples=["Invalid parameter: video_source_name."])
    detail: str
    params: list[str] = Field(max_length=1)
    reason: str
    advice: str
