"""Huawei's API definitions (``../shared/spec``) as test oracles.

Each definition file is a Swagger 2.0 fragment of one operation: ``paths`` (method, path,
parameters with their constraints) and ``definitions`` (request and response schemas,
``ErrorResponse``). Schemas are checked with Draft 4 semantics, the JSON Schema dialect of
Swagger 2.0; ``#/definitions/...`` references resolve within the operation's own file.

Every helper skips the calling test when the definitions are not checked out next to the
repository (``tests.support.SPEC_DIR``), so the suite still runs without ``../shared``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import jsonschema
import pytest

from tests.support import SPEC_DIR

PRODUCT = "VIAS"


def missing_reason() -> str | None:
    """Why the spec-driven tests cannot run, or None when the definitions are there."""
    if (SPEC_DIR / PRODUCT).is_dir():
        return None
    return (
        f"Huawei API definitions not found at {SPEC_DIR / PRODUCT}: check out the shared "
        "spec next to the repository (../shared/spec) to run the spec-driven tests"
    )


def require_spec() -> None:
    """Skip the calling test when the definitions are absent."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)


@cache
def _load(operation: str) -> dict[str, Any]:
    path = SPEC_DIR / PRODUCT / f"{operation}.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def load(operation: str) -> dict[str, Any]:
    """The whole definition file of ``operation`` (e.g. ``"CreateVideoSource"``)."""
    require_spec()
    return _load(operation)


def operation(name: str) -> tuple[str, str, dict[str, Any]]:
    """``(path, method, operation object)`` of ``name``."""
    document = load(name)
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            if op.get("operationId") == name:
                return path, method, op
    raise LookupError(f"{name}: no operation with that operationId in its definition file")


def definitions(name: str) -> dict[str, Any]:
    result: dict[str, Any] = load(name).get("definitions") or {}
    return result


def _resolve(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    prefix = "#/definitions/"
    assert ref.startswith(prefix), f"{name}: unsupported reference {ref}"
    return _resolve(name, definitions(name)[ref[len(prefix) :]])


def response_schema(name: str, status: int | str = 200) -> dict[str, Any]:
    """The schema of ``name``'s ``status`` response, with the file's definitions attached."""
    _, _, op = operation(name)
    response = op["responses"].get(str(status))
    if response is None or "schema" not in response:
        raise LookupError(f"{name}: no schema for response {status}")
    return {**response["schema"], "definitions": definitions(name)}


@cache
def _error_response() -> dict[str, Any]:
    for path in sorted((SPEC_DIR / PRODUCT).glob("*.json")):
        found = json.loads(path.read_text(encoding="utf-8")).get("definitions") or {}
        if "ErrorResponse" in found:
            schema: dict[str, Any] = found["ErrorResponse"]
            return schema
    raise LookupError("no definition file declares ErrorResponse")


def error_schema() -> dict[str, Any]:
    require_spec()
    return _error_response()


def assert_schema(schema: dict[str, Any], body: Any, what: str) -> None:
    """``body`` validates against ``schema`` (Draft 4, refs within the schema)."""
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
        raise AssertionError(f"{what} does not match the spec:\n" + "\n".join(lines))


def assert_response(name: str, body: Any, status: int = 200) -> None:
    """``body`` validates against ``name``'s ``status`` response schema."""
    assert_schema(response_schema(name, status), body, f"{name} {status} body")


def assert_error(body: Any) -> None:
    """``body`` is a VIAS error body (``ErrorResponse``) with a ``VIAS.`` code."""
    assert_schema(error_schema(), body, "error body")
    assert re.fullmatch(r"VIAS\.\d{8}", body["error_code"]), body


def request_body(name: str) -> dict[str, Any]:
    """The (resolved) schema of ``name``'s JSON request body."""
    _, _, op = operation(name)
    for parameter in op["parameters"]:
        if parameter["in"] == "body":
            return _resolve(name, parameter["schema"])
    raise LookupError(f"{name}: no body parameter")


def query_parameters(name: str) -> list[dict[str, Any]]:
    _, _, op = operation(name)
    return [p for p in op["parameters"] if p["in"] == "query"]


# -- pattern semantics --------------------------------------------------------------------

_ENUM_PART = re.compile(r"[A-Za-z0-9_]*")


def enum_values(pattern: str) -> list[str] | None:
    """The alternatives of an enum-like pattern (``cloud|edge``, ``^$|cloud|edge``,
    ``(^$)|(^1|2|9$)``), or None for a real regular expression.

    Such patterns are unanchored in the definitions, so a JSON Schema validator would take
    ``xcloudx`` for ``cloud|edge``. openvias deliberately treats them as exact enums (see
    docs/design/api-compatibility.md), and so do these tests.
    """
    bare = re.sub(r"[()^$]", "", pattern)
    parts = bare.split("|")
    if len(parts) < 2 or not all(_ENUM_PART.fullmatch(part) for part in parts):
        return None
    return parts


def pattern_accepts(pattern: str, value: str) -> bool:
    """Whether ``value`` satisfies ``pattern`` as openvias reads the definitions: enum-like
    patterns are exact enums; others are ECMA-262 regular expressions, in which ``$`` is the
    end of the input (Python's ``$`` would also match before a final newline) and ``\\d``
    is an ASCII digit."""
    values = enum_values(pattern)
    if values is not None:
        return value in values
    return re.search(pattern.replace("$", r"\Z"), value, re.ASCII) is not None
