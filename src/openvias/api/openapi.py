"""OpenAPI document: security schemes, so every client knows how to authenticate."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

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


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if path in _PUBLIC_PATHS and not (path == "/v3/auth/tokens" and method == "delete"):
                    continue
                operation["security"] = [{"XAuthToken": []}, {"SdkHmacSha256": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
