"""ASGI guard for request bodies: size limit (413) and JSON-only content (415)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openvias.api.handlers import error_response
from openvias.errors import OpenViasError, PayloadTooLarge, UnsupportedMediaType

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class BodyGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length_header = headers.get(b"content-length")
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            length = None
        error: OpenViasError | None = None
        if length is not None and length > self.max_body_bytes:
            error = PayloadTooLarge(f"The body has {length} bytes; at most 1 MiB is accepted.")
        elif content_type and not _is_json(content_type) and length != 0:
            error = UnsupportedMediaType(f"Content-Type {content_type!r} is not JSON.")
        if error is not None:
            await _drain(receive, length)
            await error_response(error)(scope, receive, send)
            return
        await self.app(scope, _limited(receive, self.max_body_bytes), send)


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge("The request body exceeds 1 MiB.")
        return message

    return wrapped


async def _drain(receive: Receive, length: int | None) -> None:
    """Read a small rejected body so the connection stays usable; never a large one."""
    if length is None or length > 1024 * 1024 * 8:
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
