"""Shared wire pieces: the base model, the error body, the id patterns."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from openvias.domain.json_values import MAX_DEPTH, MAX_SIZE, is_encodable, json_problem

#: Path id pattern of sources, groups, tasks and batch tasks.
RESOURCE_ID_PATTERN = r"^[a-z0-9-_]{4,36}$"
PROJECT_ID_PATTERN = r"^[a-zA-Z0-9-]{1,64}$"
CJK = "\u4e00-\u9fa5"

ResourceId = Annotated[str, Field(pattern=RESOURCE_ID_PATTERN, max_length=36)]


def _unencodable_part(value: Any) -> str | None:
    """Where in a field's value (a string, or strings in lists and dict keys and values;
    nested models check their own fields) a lone surrogate sits: "" for the value itself,
    "[i]" or ".key" below it; None when there is none."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if not is_encodable(item):
                return where
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and not is_encodable(key):
                    return where
                stack.append((child, f"{where}.{str(key)[:40]}"))
    return None


class EncodableText(BaseModel):
    """Every string field of a request (and of the models it nests) must be writable as
    UTF-8: JSON lets a client send a lone surrogate (``"\\ud800"``), which would be stored
    and then fail every response that shows it. Refused with the field named."""

    @field_validator("*", mode="after")
    @classmethod
    def _encodable(cls, value: Any) -> Any:
        # Called for every field of every model: the common cases return at once.
        if isinstance(value, str):
            if value.isascii() or is_encodable(value):
                return value
            where: str | None = ""
        elif not isinstance(value, list | tuple | dict):
            return value
        else:
            where = _unencodable_part(value)
        if where is not None:
            raise ValueError(
                f"contains a lone surrogate (\\ud800-\\udfff) at {where or 'the value'}, "
                "which is not a Unicode character"
            )
        return value


def _free_json(value: dict[str, Any]) -> dict[str, Any]:
    problem = json_problem(value)
    if problem is not None:
        raise ValueError(f"cannot be stored as JSON: {problem}")
    return value


#: A free-form JSON object (``config.common``, ``deploy_config``): any keys and values, but
#: only what can be written out again (``domain.json_values``: depth, size, string lengths,
#: no lone surrogates, finite numbers, 64-bit integers).
FreeJsonObject = Annotated[
    dict[str, Any],
    AfterValidator(_free_json),
    Field(
        description=f"Free-form JSON object: at most {MAX_DEPTH} levels deep and about "
        f"{MAX_SIZE} characters; finite numbers, 64-bit integers."
    ),
]


class WireModel(EncodableText):
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
