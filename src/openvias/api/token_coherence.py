"""Token caches that agree across API replicas (PostgreSQL).

Every write that may end a verified token (a revoke, a password set, a user or project
disabled or deleted, a grant taken back) sends ``NOTIFY openvias_identity``
(``store/db.py``), whichever process makes it: an API replica or ``openvias admin``. Each
replica listens (``store/channel_listener.py``) and empties its token cache on every
notification. Before a request whose ``X-Auth-Token`` is cached is authenticated (by the
fast reads or the routed app), :class:`TokenCoherence` waits until this replica has heard
every such write committed before the request arrived: one round trip on the listening
connection, shared by the requests that arrive meanwhile. When it cannot know (the
connection is lost), it empties the cache and the token is verified in the database.

So a token revoked through one replica is refused by all of them from the next request
on. A request whose token is not cached pays nothing here: it is verified in the database
anyway. On SQLite (one process) nothing listens: see ``TokenCache``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from openvias.api.state import AppState, TokenCache
from openvias.services.identity import token_digest
from openvias.store.channel_listener import ChannelListener
from openvias.store.db import IDENTITY_CHANNEL

#: Where requests are authenticated (the VIAS and IAM routes); health, metrics, the docs
#: and the console's files are public.
_AUTHENTICATED = ("/v2/", "/v3/")


class TokenCoherence:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        listener = self.state.identity_changes
        if (
            listener is not None
            and scope["type"] == "http"
            and scope["path"].startswith(_AUTHENTICATED)
            and self._token_cached(scope)
            and not await listener.caught_up()
        ):
            self.state.token_cache.clear()
        await self.app(scope, receive, send)

    def _token_cached(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"x-auth-token":
                return bool(value) and token_digest(value.decode("latin-1")) in (
                    self.state.token_cache
                )
        return False


async def open_identity_changes(engine: AsyncEngine, cache: TokenCache) -> ChannelListener | None:
    """The listener that keeps ``cache`` coherent; None where nothing needs it (SQLite)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "asyncpg":
        return None
    listener = ChannelListener(engine, IDENTITY_CHANNEL, on_notify=cache.clear, on_gap=cache.clear)
    await listener.caught_up()  # listening from start-up (a failure is retried per request)
    return listener
