"""Direct reads on PostgreSQL: a few asyncpg connections of their own (autocommit, no pool
reset round trips), and the database version heard on ``LISTEN openvias_changes``.

Every openvias engine sends ``NOTIFY openvias_changes`` in each transaction that changes
rows (``store/db.py``); PostgreSQL queues it at commit, before the writer's client sees the
commit acknowledged, and signals every listening session. ``version()`` is (listening
connections opened, notifications heard), read after a round trip on the listening
connection that started after the call: PostgreSQL sends a session the notifications
pending for it before the ReadyForQuery of its next command, and asyncpg runs listener
callbacks before it resumes whoever awaits that command, so every commit acknowledged before
the call has been counted. Concurrent calls share round trips: the one in flight serves the
call that started it, calls made meanwhile wait for the next one (two round trips at most).
A lost listening connection makes ``version()`` None (callers then cache nothing) until a
new one listens, which starts a new epoch: what was heard before no longer counts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from openvias.store.db import CHANGES_CHANNEL
from openvias.store.statements import AnySelect, CompiledStatements, Row

log = logging.getLogger(__name__)

POOL_SIZE = 4
CONNECT_TIMEOUT_S = 5.0
ROUND_TRIP_TIMEOUT_S = 5.0
#: After a failed attempt to listen, the next one waits this long (no cache meanwhile).
RELISTEN_DELAY_S = 1.0
#: Options of SQLAlchemy's asyncpg dialect that ``asyncpg.connect`` does not take.
_DIALECT_ONLY = {"prepared_statement_cache_size", "prepared_statement_name_func"}


class PgDirectReads:
    def __init__(self, engine: AsyncEngine) -> None:
        _, options = engine.dialect.create_connect_args(engine.url)
        self._options = {k: v for k, v in options.items() if k not in _DIALECT_ONLY}
        self._statements = CompiledStatements(engine.dialect)
        self._closed = False
        # the connections of fetch()
        self._idle: list[Any] = []
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._open = 0
        # the listening connection and the round trips of version()
        self._listener: Any = None
        self._relisten_at = 0.0
        self._epoch = 0
        self._heard = 0
        self._inflight: asyncio.Future[bool] | None = None
        self._next: asyncio.Future[bool] | None = None
        self._round_trips: asyncio.Task[None] | None = None

    async def _connect(self) -> Any:
        connection = await asyncpg.connect(timeout=CONNECT_TIMEOUT_S, **self._options)
        # JSON decoded as on SQLAlchemy's connections (its dialect sets the same codec).
        await connection.set_type_codec(
            "json",
            encoder=str.encode,
            decoder=lambda value: json.loads(value.decode()),
            schema="pg_catalog",
            format="binary",
        )
        return connection

    # -- fetch ----------------------------------------------------------------------

    async def fetch(self, stmt: AnySelect, params: Mapping[str, Any]) -> Sequence[Row]:
        compiled = self._statements.get(stmt)
        connection = await self._acquire()
        try:
            rows: Sequence[Row] = await connection.fetch(compiled.sql, *compiled.args(params))
        except BaseException:
            self._open -= 1
            connection.terminate()
            self._wake()
            raise
        self._release(connection)
        return compiled.rows(rows)

    async def _acquire(self) -> Any:
        while True:
            if self._idle:
                return self._idle.pop()
            if self._open < POOL_SIZE:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken but leaving: pass the turn on
                raise

    def _release(self, connection: Any) -> None:
        if self._closed or connection.is_closed():
            self._open -= 1
            connection.terminate()
        else:
            self._idle.append(connection)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # -- version --------------------------------------------------------------------

    async def version(self) -> Hashable | None:
        if self._closed:
            return None
        if self._inflight is None:
            waiter = self._inflight = asyncio.get_running_loop().create_future()
            self._round_trips = asyncio.create_task(self._run_round_trips())
        else:
            if self._next is None:
                self._next = asyncio.get_running_loop().create_future()
            waiter = self._next
        if not await asyncio.shield(waiter):
            return None
        return (self._epoch, self._heard)

    async def _run_round_trips(self) -> None:
        while (waiter := self._inflight) is not None:
            try:
                heard = await self._round_trip()
            except Exception:
                log.exception("checking for database changes failed")
                heard = False
            waiter.set_result(heard)
            self._inflight, self._next = self._next, None

    async def _round_trip(self) -> bool:
        listener = self._listener
        if listener is None or listener.is_closed():
            listener = await self._listen()
            if listener is None:
                return False
        try:
            await listener.execute("SELECT 1", timeout=ROUND_TRIP_TIMEOUT_S)
        except Exception as exc:
            log.warning("lost the connection that listens for database changes: %s", exc)
            self._listener = None
            listener.terminate()
            return False
        return True

    async def _listen(self) -> Any:
        if self._closed or time.monotonic() < self._relisten_at:
            return None
        try:
            listener = await self._connect()
        except Exception as exc:
            self._relisten_at = time.monotonic() + RELISTEN_DELAY_S
            log.warning("cannot listen for database changes (no read cache): %s", exc)
            return None
        try:
            await listener.add_listener(CHANGES_CHANNEL, self._heard_change)
        except BaseException:
            listener.terminate()
            raise
        self._listener = listener
        self._epoch += 1
        return listener

    def _heard_change(self, *_: object) -> None:
        self._heard += 1

    async def close(self) -> None:
        self._closed = True
        if self._round_trips is not None:
            self._round_trips.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._round_trips
        for waiter in (self._inflight, self._next):
            if waiter is not None and not waiter.done():
                waiter.set_result(False)
        connections = [*self._idle, *([self._listener] if self._listener else [])]
        self._idle.clear()
        self._listener = None
        for connection in connections:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
