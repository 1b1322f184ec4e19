"""ASGI guards: request checks (NUL characters, 413 size limit, 415 JSON only) and the
last-resort 500."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openvias.api.handlers import error_response
from openvias.errors import (
    InternalError,
    InvalidParameter,
    OpenViasError,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from openvias.store.outage import database_unreachable

log = logging.getLogger(__name__)

#: A rejected body up to this size is read and discarded so that the client, which is
#: usually still sending, gets the error response instead of a reset connection.
_DRAIN_LIMIT = 8 * 1024 * 1024
#: Methods whose body the API reads; a body of any other method is size-limited only.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_NUL_MESSAGE = "A parameter contains a NUL character."
#: CreateBatchTask, UpdateBatchTask and CreateBatchTaskFromTemplate (group 1: the project).
_BATCH_PATH = re.compile(r"^/v2/([^/]+)/(?:batch-tasks(?:/[^/]+)?|templates/[^/]+/batch-tasks)$")
#: Given the scope and the path's project, None when the caller may send a large body (it
#: is authenticated from its headers), else the error to answer with.
LargeBodyCheck = Callable[[Scope, str], Awaitable[OpenViasError | None]]
#: A ``\\u0000`` escape that is not itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u0000")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class RequestGuard:
    """Checks what every route would otherwise have to: no NUL character in the path, the
    query or a JSON string (PostgreSQL cannot store one; SQLite would, so both refuse it
    here alike), and a body of at most ``max_body_bytes`` whether or not a Content-Length
    was sent (chunked uploads included), JSON only for POST/PUT/PATCH. A body is read
    whole before the app runs and replayed to it; requests without one (no Transfer-Encoding
    and no or a zero Content-Length) go straight through.

    Batch-task bodies list up to 100 groups x 100 sources, each with a ROI of up to 2048
    characters (about 21 MB at most), so they may reach ``max_batch_body_bytes``; every
    other body stays under ``max_body_bytes``. Past that small limit (announced by
    Content-Length, or reached by a chunked body) a batch request is read further only
    once ``admit_large_body`` has authenticated its caller from the headers; otherwise it
    is answered at once, the rest of its body unread."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_batch_body_bytes: int,
        admit_large_body: LargeBodyCheck,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_batch_body_bytes = max_batch_body_bytes
        self.admit_large_body = admit_large_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nul_param = _nul_parameter(scope)
        if nul_param is not None:
            nul = InvalidParameter(_NUL_MESSAGE, param=nul_param)
            await self._reject(scope, receive, send, nul, _DRAIN_LIMIT)
            return
        length_header: bytes | None = None
        chunked = False
        content_type = ""
        for name, value in scope["headers"]:
            if name == b"content-length":
                length_header = value
            elif name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"transfer-encoding":
                chunked = True
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            length = None
        if not chunked and not length:
            await self.app(scope, receive, send)
            return
        batch = _BATCH_PATH.match(scope["path"])
        limit = self.max_batch_body_bytes if batch else self.max_body_bytes
        if length is not None and length > limit:
            await self._reject(scope, receive, send, self._too_large(length, limit), length)
            return
        if scope["method"] in _BODY_METHODS and not _is_json(content_type):
            what = f"Content-Type {content_type!r}" if content_type else "No Content-Type"
            error = UnsupportedMediaType(f"{what}: the request body must be application/json.")
            await self._reject(scope, receive, send, error, length)
            return
        # What may be read before the caller is known: the small limit, for every path.
        allowed = min(limit, self.max_body_bytes)
        if batch and length is not None and length > allowed:
            refused = await self.admit_large_body(scope, batch[1])
            if refused is not None:
                await error_response(refused)(scope, receive, send)
                return
            allowed = limit
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > allowed and batch and allowed < limit:
                refused = await self.admit_large_body(scope, batch[1])
                if refused is not None:
                    await error_response(refused)(scope, receive, send)
                    return
                allowed = limit
            if size > allowed:
                await _drain(receive, size)
                await error_response(self._too_large(None, limit))(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if _JSON_NUL.search(body):
            nul = InvalidParameter(_NUL_MESSAGE, param="body")
            await error_response(nul)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    def _too_large(length: int | None, limit: int) -> PayloadTooLarge:
        accepted = f"at most {limit} bytes are accepted"
        if length is None:
            return PayloadTooLarge(f"The request body exceeds the limit: {accepted}.")
        return PayloadTooLarge(f"The body has {length} bytes; {accepted}.")

    @staticmethod
    async def _reject(
        scope: Scope, receive: Receive, send: Send, error: OpenViasError, length: int | None
    ) -> None:
        if length is not None and length <= _DRAIN_LIMIT:
            await _drain(receive, 0)
        await error_response(error)(scope, receive, send)


def _nul_parameter(scope: Scope) -> str | None:
    """The name of a path or query parameter that holds a NUL character, if any."""
    if "\x00" in scope["path"]:
        return "path"
    query: bytes = scope["query_string"]
    if b"%00" not in query and b"\x00" not in query:
        return None
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "query"
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _drain(receive: Receive, seen: int) -> None:
    """Discard the rest of a rejected body, up to ``_DRAIN_LIMIT`` bytes in all."""
    while seen <= _DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class CatchAll:
    """Outermost guard: an exception nothing else handled becomes the VIAS 500 body (no
    traceback on the wire, one in the log) instead of propagating to the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            if isinstance(exc, OpenViasError):
                error: OpenViasError = exc
            elif database_unreachable(exc):  # a restart or failover: the client may retry
                log.warning(
                    "database unreachable on %s %s: %r", scope["method"], scope["path"], exc
                )
                error = ServiceUnavailable("The database is busy or unreachable.")
            else:
                log.exception("unhandled error on %s %s", scope["method"], scope["path"])
                error = InternalError("An internal error occurs.")
            await error_response(error)(scope, receive, send)
