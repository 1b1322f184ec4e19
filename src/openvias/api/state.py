"""What the application holds for its lifetime (set up by ``create_app``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from openvias.services.identity import Principal
from openvias.settings import Settings


@dataclass
class TokenCache:
    """Verified tokens, kept a few seconds so hot paths skip the lookup. A revoke through
    this process evicts at once; other processes see it within ``ttl`` seconds."""

    ttl: float
    max_entries: int = 10_000
    _entries: dict[str, tuple[Principal, float]] = field(default_factory=dict)

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[1] < time.monotonic():
            self._entries.pop(digest, None)
            return None
        return entry[0]

    def put(self, digest: str, principal: Principal, token_expiry_in: float) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[digest] = (principal, time.monotonic() + min(self.ttl, token_expiry_in))

    def evict(self, digest: str) -> None:
        self._entries.pop(digest, None)


class BackgroundService(Protocol):
    """Work that lives as long as the server (the embedded engine, say): ``run`` is started
    after start-up, ``shutdown`` is awaited before the database is closed."""

    async def run(self) -> None: ...

    async def shutdown(self) -> None: ...


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    token_cache: TokenCache


#: Builds a background service from the application's state (given to ``create_app``).
BackgroundFactory = Callable[[AppState], BackgroundService]
