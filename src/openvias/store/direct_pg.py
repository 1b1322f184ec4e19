"""Direct reads on PostgreSQL: a few asyncpg connections of their own (autocommit, no pool
reset round trips), and the database version heard on ``LISTEN openvias_changes``.

Every openvias engine sends ``NOTIFY openvias_changes`` in each transaction that changes
rows (``store/db.py``); PostgreSQL queues it at commit, before the writer's client sees the
commit acknowledged, and signals every listening session. ``version()`` is (listening
connections opened, notifications heard), read once the listener has caught up
(``store/channel_listener.py``: a round trip on the listening connection that started after
the call has delivered every commit acknowledged before it). A lost listening connection
makes ``version()`` None (callers then cache nothing) until a new one listens, which starts a
new epoch: what was heard before no longer counts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from openvias.store.channel_listener import ChannelListener
from openvias.store.db import CHANGES_CHANNEL
from openvias.store.statements import AnySelect, CompiledStatements, Row

log = logging.getLogger(__name__)

POOL_SIZE = 4
CONNECT_TIMEOUT_S = 5.0
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
        # version(): (listening connections opened, notifications heard)
        self._epoch = 0
        self._heard = 0
        self._changes = ChannelListener(
            engine, CHANGES_CHANNEL, on_notify=self._heard_change, on_gap=self._new_epoch
        )

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
        if not await self._changes.caught_up():
            return None
        return (self._epoch, self._heard)

    def _heard_change(self) -> None:
        self._heard += 1

    def _new_epoch(self) -> None:
        self._epoch += 1

    async def close(self) -> None:
        self._closed = True
        await self._changes.close()
        connections = [*self._idle]
        self._idle.clear()
        for connection in connections:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
