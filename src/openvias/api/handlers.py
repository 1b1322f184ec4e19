"""Every failure becomes one VIAS error body; this is the only place that builds it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from openvias.api.openapi import documented_methods
from openvias.errors import (
    Conflict,
    Forbidden,
    InternalError,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    OpenViasError,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)
from openvias.schemas.common import ErrorBody
from openvias.store.outage import database_unreachable

log = logging.getLogger(__name__)

_LOCATION_PREFIXES = {"body", "query", "path", "header", "cookie"}


def error_body(error: OpenViasError) -> dict[str, Any]:
    return {
        "error_code": error.error_code,
        "error_msg": error.message,
        "detail": error.detail,
        "params": [error.param] if error.param else [],
        "reason": error.reason,
        "advice": error.advice,
    }


def error_response(error: OpenViasError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    merged = dict(headers or {})
    if isinstance(error, Unauthorized):
        merged.setdefault("WWW-Authenticate", "X-Auth-Token")
    elif isinstance(error, ServiceUnavailable):
        merged.setdefault("Retry-After", "1")
    elif isinstance(error, TooManyRequests):
        merged.setdefault("Retry-After", str(error.retry_after))
    return JSONResponse(error_body(error), status_code=error.status_code, headers=merged or None)


def validation_error(exc: RequestValidationError) -> InvalidParameter:
    errors = list(exc.errors())
    if not errors:
        return InvalidParameter("Invalid parameter.")
    first = errors[0]
    if first.get("type") == "json_invalid":
        return InvalidParameter(
            "The request body is not valid JSON.",
            detail=str(first.get("ctx", {}).get("error", "malformed JSON")),
            param="body",
        )
    loc = [str(part) for part in first.get("loc", ())]
    if loc and loc[0] in _LOCATION_PREFIXES:
        loc = loc[1:]
    field = ".".join(part for part in loc if not part.isdigit()) or "body"
    if first.get("type") == "missing" and not loc:
        return InvalidParameter("The request body is required.", param="body")
    return InvalidParameter(
        f"Invalid parameter: {field}.",
        detail=f"{field}: {first.get('msg', 'invalid')}",
        param=field,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenViasError)
    async def _openvias(_: Request, exc: OpenViasError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(_from_http_status(request, exc), headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error mapped to 409: %s", exc.orig)
        return error_response(Conflict("The request conflicts with an existing object."))

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # A value the schema let through but the database cannot store (e.g. out of range).
        log.warning("data error mapped to 400: %s", exc.orig)
        return error_response(InvalidParameter("A parameter value cannot be stored."))

    @app.exception_handler(OperationalError)
    async def _operational(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return error_response(ServiceUnavailable("The database is busy or unreachable."))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if database_unreachable(exc):  # a restart or failover: the client may retry
            log.warning("database unreachable on %s %s: %r", request.method, request.url.path, exc)
            return error_response(ServiceUnavailable("The database is busy or unreachable."))
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(InternalError("An internal error occurs."))


_PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods of this resource, for ``Allow``: those the OpenAPI document declares on
    its path; for an undocumented path, every method the router would dispatch there
    (Starlette's own ``Allow`` names only the first matching route's methods, while e.g.
    PUT and DELETE are separate routes)."""
    documented = documented_methods(request.app, request.scope["path"])
    if documented is not None:
        return documented
    routes = request.app.router.routes
    allowed = []
    for method in _PROBED_METHODS:
        probe: dict[str, Any] = {
            "type": "http",
            "method": method,
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(probe)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def _from_http_status(request: Request, exc: StarletteHTTPException) -> OpenViasError:
    status, detail = exc.status_code, str(exc.detail)
    where = f"{request.method} {request.url.path}"
    if status == 404:
        return NotFound("The requested resource does not exist.", detail=f"No API matches {where}.")
    if status == 405:
        return MethodNotAllowed(detail=f"{where} is not supported by this resource.")
    if status == 413:
        return PayloadTooLarge()
    if status == 415:
        return UnsupportedMediaType()
    if status == 401:
        return Unauthorized(detail)
    if status == 403:
        return Forbidden(detail)
    if status == 503:
        return ServiceUnavailable(detail)
    if status < 500:
        return InvalidParameter(detail)
    return InternalError()


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Invalid parameter",
        401: "Missing or invalid credentials",
        403: "The project may not be used by the caller",
        404: "Object not found",
        409: "Conflict with the current state",
        413: "Request body too large",
        415: "Request body is not JSON",
        429: "Too many attempts, or too many at once (see Retry-After)",
        500: "Internal error",
        503: "Database busy or unreachable",
    }
    return {code: {"model": ErrorBody, "description": descriptions[code]} for code in codes}


#: Error responses every authenticated VIAS operation may return.
PROJECT_ERRORS = _responses(400, 401, 403, 404, 409, 413, 415, 500, 503)
#: Error responses of unauthenticated or identity routes.
PUBLIC_ERRORS = _responses(400, 401, 404, 413, 415, 500, 503)
#: Password logins: throttled per user name and per client address.
LOGIN_ERRORS = _responses(429)
