"""The OpenAPI document, made to state what the server really does: its security schemes,
the VIAS error body instead of FastAPI's 422, no null query values, no NUL characters."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from openvias.api.openapi_docs import apply_operation_docs

SECURITY_SCHEMES = {
    "XAuthToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-Token",
        "description": "Token from POST /v3/auth/tokens (header X-Subject-Token).",
    },
    "SdkHmacSha256": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "SDK-HMAC-SHA256 signature with X-Sdk-Date, as huaweicloudsdkcore signs.",
    },
}
_PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics", "/v3/auth/tokens"}
#: FastAPI documents its own 422 body; openvias answers every validation failure with 400
#: and the VIAS error body instead (``openvias.api.handlers``), so these never occur.
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
#: ``openvias.api.middleware.RequestGuard`` refuses NUL characters in every parameter and
#: JSON string (PostgreSQL cannot store them); free-form strings say so with this pattern.
NUL_FREE_PATTERN = "^[^\\u0000]*$"
_STRING_RESTRICTIONS = ("pattern", "enum", "const", "format")


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        components = schema.setdefault("components", {})
        components["securitySchemes"] = SECURITY_SCHEMES
        for name in _FASTAPI_VALIDATION_SCHEMAS:
            components.get("schemas", {}).pop(name, None)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.get("responses", {})
                if _is_fastapi_validation(responses.get("422")):
                    del responses["422"]
                for parameter in operation.get("parameters", []):
                    parameter["schema"] = _not_null(parameter.get("schema", {}))
                if path in _PUBLIC_PATHS and not (path == "/v3/auth/tokens" and method == "delete"):
                    continue
                operation["security"] = [{"XAuthToken": []}, {"SdkHmacSha256": []}]
        apply_operation_docs(schema.get("paths", {}))
        _forbid_nul(schema.get("paths", {}))
        _forbid_nul(components.get("schemas", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def _is_fastapi_validation(response: dict[str, Any] | None) -> bool:
    """FastAPI's own 422 (never sent); a route's declared 422 (snapshots: a source whose
    video cannot be read) stays."""
    if response is None:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``Optional[X]`` parameters come out as ``anyOf: [X, {type: null}]``; a query, path or
    header value is never null on the wire (an absent one is ``required: false``), so the
    document states just ``X``."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    kept = [branch for branch in branches if branch != {"type": "null"}]
    if len(kept) == len(branches):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}


def _forbid_nul(node: Any) -> None:
    """Give every string schema without a pattern, enum or format the NUL-free pattern."""
    if isinstance(node, list):
        for item in node:
            _forbid_nul(item)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    is_string = kind == "string" or (isinstance(kind, list) and "string" in kind)
    if is_string and not any(key in node for key in _STRING_RESTRICTIONS):
        node["pattern"] = NUL_FREE_PATTERN
    for key, value in node.items():
        if key not in ("example", "examples", "default"):
            _forbid_nul(value)


_HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete", "options")


def documented_methods(app: FastAPI, path: str) -> list[str] | None:
    """The methods the OpenAPI document gives the most specific path template matching
    ``path`` (literal segments beat parameters: ``/source/sources`` is ListVideoSources'
    path, not ``/source/{video_source_id}``), or None when no documented template matches."""
    templates: list[tuple[re.Pattern[str], int, list[str]]] | None = getattr(
        app.state, "openvias_templates", None
    )
    if templates is None:
        templates = []
        for template, operations in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            literals = sum(1 for part in template.split("/") if part and "{" not in part)
            methods = [m.upper() for m in _HTTP_METHODS if m in operations]
            if "GET" in methods and "HEAD" not in methods:
                methods.insert(1, "HEAD")  # Starlette answers HEAD wherever GET is served
            templates.append((re.compile(f"^{pattern}$"), literals, methods))
        app.state.openvias_templates = templates
    matching = [(literals, methods) for regex, literals, methods in templates if regex.match(path)]
    if not matching:
        return None
    return max(matching, key=lambda match: match[0])[1]
