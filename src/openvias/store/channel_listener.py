"""A PostgreSQL ``LISTEN`` on one channel, with a barrier: :meth:`ChannelListener.caught_up`
returns once every notification committed before the call has been handed to the callback.

PostgreSQL sends a session the notifications pending for it before the ReadyForQuery of its
next command, and asyncpg runs listener callbacks before it resumes whoever awaits that
command; so a round trip on the listening connection that started after the call has
delivered every notification whose transaction's commit was acknowledged before the call.
The read cache (``store/direct_pg.py``) and the token caches (``api/token_coherence.py``)
listen through it.
Concurrent calls share round trips: the one in flight serves the calls made before it
started, calls made meanwhile wait for the next one.

A connection that cannot listen (lost, or not opened yet) makes ``caught_up`` False: the
caller must then trust nothing it cached. Each new listening connection first calls
``on_gap`` (notifications sent while nobody listened are lost)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
ROUND_TRIP_TIMEOUT_S = 5.0
#: After a failed attempt to listen, the next one waits this long.
RELISTEN_DELAY_S = 1.0
#: Options of SQLAlchemy's asyncpg dialect that ``asyncpg.connect`` does not take.
_DIALECT_ONLY = {"prepared_statement_cache_size", "prepared_statement_name_func"}


class ChannelListener:
    def __init__(
        self,
        engine: AsyncEngine,
        channel: str,
        on_notify: Callable[[], None],
        on_gap: Callable[[], None],
    ) -> None:
        _, options = engine.dialect.create_connect_args(engine.url)
        self._options = {k: v for k, v in options.items() if k not in _DIALECT_ONLY}
        self.channel = channel
        self._on_notify = on_notify
        self._on_gap = on_gap
        self._closed = False
        self._connection: Any = None
        self._relisten_at = 0.0
        self._inflight: asyncio.Future[bool] | None = None
        self._next: asyncio.Future[bool] | None = None
        self._round_trips: asyncio.Task[None] | None = None

    async def caught_up(self) -> bool:
        """True once every notification committed before this call has been delivered;
        False when that cannot be known (no listening connection)."""
        if self._closed:
            return False
        loop = asyncio.get_running_loop()
        if self._inflight is None:
            waiter = self._inflight = loop.create_future()
            self._round_trips = asyncio.create_task(self._run_round_trips())
        else:
            if self._next is None:
                self._next = loop.create_future()
            waiter = self._next
        return await asyncio.shield(waiter)

    async def _run_round_trips(self) -> None:
        while (waiter := self._inflight) is not None:
            try:
                heard = await self._round_trip()
            except Exception:
                log.exception("listening on %s failed", self.channel)
                heard = False
            waiter.set_result(heard)
            self._inflight, self._next = self._next, None

    async def _round_trip(self) -> bool:
        connection = self._connection
        if connection is None or connection.is_closed():
            connection = await self._listen()
            if connection is None:
                return False
        try:
            await connection.execute("SELECT 1", timeout=ROUND_TRIP_TIMEOUT_S)
        except Exception as exc:
            log.warning("lost the connection listening on %s: %s", self.channel, exc)
            self._connection = None
            connection.terminate()
            return False
        return True

    async def _listen(self) -> Any:
        if self._closed or time.monotonic() < self._relisten_at:
            return None
        try:
            connection = await asyncpg.connect(timeout=CONNECT_TIMEOUT_S, **self._options)
        except Exception as exc:
            self._relisten_at = time.monotonic() + RELISTEN_DELAY_S
            log.warning("cannot listen on %s: %s", self.channel, exc)
            return None
        try:
            await connection.add_listener(self.channel, self._heard)
        except BaseException:
            connection.terminate()
            raise
        self._on_gap()
        self._connection = connection
        return connection

    def _heard(self, *_: object) -> None:
        self._on_notify()

    async def close(self) -> None:
        self._closed = True
        if self._round_trips is not None:
            self._round_trips.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._round_trips
        for waiter in (self._inflight, self._next):
            if waiter is not None and not waiter.done():
                waiter.set_result(False)
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
