"""The two hottest reads, answered before routing (pure ASGI: no route matching, no
dependency resolution, no session):

- ShowVideoSourceDetail: built from the database through ``store.direct``, by the same
  function as the routed endpoint (``services.video_sources.show_document``);
- ListVideoSources: the routed endpoint's answer, cached by URL for as long as the database
  version (``DirectReads.version``) stays the same.

A request is answered here only where the routed app would answer 200 with the same body:
a GET of a token that the routed app verified within ``auth_cache_seconds`` (the token
cache, which the routed app trusts as well) and that is scoped to the path's project, and,
for a source, a well-formed id that the project holds. Anything else (other credentials,
every error, a database that cannot be read directly) goes on to the routed app as it came.

Cache exactness: the version is read when a request arrives and changes with every commit,
by any process, to a table that cached reads depend on (SQLite's change counter,
``store/models/changes.py``; PostgreSQL ``NOTIFY`` heard after a round trip that started
after the request arrived). An answer is stored under the version read before it was
computed, and served only while the version is still that one, so no write acknowledged
before a request arrives can be missing from its answer."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Hashable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openvias.api.auth import refresh_if_due
from openvias.api.state import AppState
from openvias.schemas.common import RESOURCE_ID_PATTERN
from openvias.services.identity import token_digest
from openvias.services.video_sources import show_document
from openvias.store.direct import DirectReads

log = logging.getLogger(__name__)

#: The routed paths of ShowVideoSourceDetail (with an id) and ListVideoSources.
_SOURCES = re.compile(r"/v2/([^/]+)/source/sources(?:/([^/]+))?")
_SOURCE_ID = re.compile(RESOURCE_ID_PATTERN.removeprefix("^").removesuffix("$"))
_JSON_HEADERS = ((b"content-type", b"application/json"),)


class FastReads:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state
        self.cache = state.read_cache
        #: Answers being computed, by (version, URL).
        self._computing: dict[tuple[Hashable, str], asyncio.Future[bytes | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        direct = self.state.direct
        if (
            direct is None
            or scope["type"] != "http"
            or scope["method"] != "GET"
            or scope.get("root_path")
            or (match := _SOURCES.fullmatch(scope["path"])) is None
        ):
            await self.app(scope, receive, send)
            return
        project_id, source_id = match.groups()
        trusted = self._token_scoped_to(scope, project_id)
        if source_id is not None:
            body = await self._show(project_id, source_id) if trusted else None
            if body is None:
                await self.app(scope, receive, send)
            else:
                self.state.direct_shows += 1
                await _answer(send, body)
            return
        await self._list(direct, scope, receive, send, trusted)

    async def _list(
        self, direct: DirectReads, scope: Scope, receive: Receive, send: Send, trusted: bool
    ) -> None:
        """From the cache; else from the routed app, while other requests for the same URL
        and version wait for its answer rather than compute it again (the same version
        means that no write committed between the two arrivals)."""
        version = await direct.version()
        if version is None:
            await self.app(scope, receive, send)
            return
        key = f"{scope['path']}?{scope['query_string'].decode('latin-1')}"
        if trusted:
            body = self.cache.get(version, key)
            if body is None and (pending := self._computing.get((version, key))) is not None:
                body = await asyncio.shield(pending)
            if body is not None:
                await _answer(send, body)
                return
        computing = asyncio.get_running_loop().create_future()
        self._computing.setdefault((version, key), computing)
        answered = None
        try:
            answered = await _run_capturing(self.app, scope, receive, send)
            if answered is not None:
                self.cache.put(version, key, answered)
        finally:
            if self._computing.get((version, key)) is computing:
                del self._computing[(version, key)]
            computing.set_result(answered)

    def _token_scoped_to(self, scope: Scope, project_id: str) -> bool:
        """The X-Auth-Token (which the routed app also prefers to any signature) was verified
        recently and is scoped to ``project_id`` (what ``get_project`` asks of it)."""
        for name, value in scope["headers"]:
            if name == b"x-auth-token":
                if not value:
                    return False
                token = value.decode("latin-1")
                digest = token_digest(token)
                principal = self.state.token_cache.get(digest)
                if principal is None:
                    return False
                refresh_if_due(token, digest, self.state)
                return principal.token_project_id == project_id
        return False

    async def _show(self, project_id: str, source_id: str) -> bytes | None:
        direct = self.state.direct
        if direct is None or not _SOURCE_ID.fullmatch(source_id):
            return None
        try:
            return await show_document(direct.fetch, project_id, source_id)
        except Exception as exc:  # the routed app retries and answers any error itself
            log.debug("direct read of source %s failed: %s", source_id, exc)
            return None


async def _answer(send: Send, body: bytes) -> None:
    """The headers a FastAPI JSON response has (uvicorn adds date and server)."""
    headers = [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _run_capturing(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> bytes | None:
    """Runs ``app``; returns the body of a complete 200 JSON answer, None for anything else."""
    status = 0
    json = False
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal status, json
        if message["type"] == "http.response.start":
            status = message["status"]
            json = (b"content-type", b"application/json") in message.get("headers", [])
        elif message["type"] == "http.response.body" and status == 200:
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                status = -1  # streamed: not cached
        await send(message)

    await app(scope, receive, capture)
    return b"".join(chunks) if status == 200 and json else None
