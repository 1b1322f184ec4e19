"""Expired tokens deleted periodically (a background service of ``openvias serve``): an
expired token is refused whether its row is there or not, so the rows only cost space
(one per login, kept for ever otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.domain.clock import utcnow
from openvias.settings import Settings
from openvias.store.db import transaction
from openvias.store.repositories.identity import delete_expired_tokens

log = logging.getLogger(__name__)


class TokenPurger:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], every: float) -> None:
        self.sessionmaker = sessionmaker
        self.every = every
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.purge()
            except Exception:
                log.exception("purging expired tokens failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every)

    async def shutdown(self) -> None:
        self._stopping.set()

    async def purge(self) -> int:
        async with transaction(self.sessionmaker) as session:
            purged = await delete_expired_tokens(session, utcnow())
        if purged:
            log.info("purged %d expired token(s)", purged)
        return purged


class _AppResources(Protocol):
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]


def token_purger(app: _AppResources) -> TokenPurger:
    return TokenPurger(app.sessionmaker, app.settings.token_purge_seconds)
