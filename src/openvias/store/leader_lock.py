"""The leader of the API replicas: a session-level advisory lock on a connection of its own.

The replica holding it runs the singleton duties of ``openvias serve`` (the scheduler, the
token purge: ``services/leadership.py``). The lock lives as long as its PostgreSQL session:
a replica that exits or is killed closes the connection and PostgreSQL releases the lock at
once; the next replica that asks gets it. A replica that is alive but cut off (a network
partition, a frozen process) stops answering, and the session settings below make the server
end its session after about :data:`SESSION_LOSS_SECONDS`, so the lock cannot stay with a
replica that no longer runs the duties. The holder checks its connection before every duty
pass (a round trip) and gives up leadership on any error.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

#: The advisory lock of the API replicas' leader (distinct from the engine's per-beat
#: ``LEADER_LOCK_KEY`` and the migration's ``MIGRATION_LOCK_KEY``).
SERVE_LEADER_LOCK_KEY = 0x6F76_6C64  # "ovld"
#: How long the server keeps the session of a replica that stopped answering.
SESSION_LOSS_SECONDS = 20
#: Per-session settings that end a silent holder's session (hence its lock): an idle session
#: is ended after the loss time (the holder checks far more often), a dead peer is detected
#: by TCP keepalives, and unacknowledged data fails the connection after the loss time.
_SESSION_SETTINGS = (
    f"SET idle_session_timeout = '{SESSION_LOSS_SECONDS}s'",
    "SET tcp_keepalives_idle = 5",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
    f"SET tcp_user_timeout = '{SESSION_LOSS_SECONDS}s'",
)


class LeaderLock:
    """Tries to hold the leader's lock; :meth:`hold` is called before each duty pass."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    async def hold(self) -> bool:
        """Whether this process leads now: confirms a held lock with a round trip on its
        connection, or tries to take it. Any failure drops the connection (and so the lock
        if it was held: PostgreSQL ends the session)."""
        try:
            connection = await self._connected()
            if self._held:
                await connection.execute(text("SELECT 1"))
            else:
                self._held = bool(
                    await connection.scalar(
                        select(func.pg_try_advisory_lock(SERVE_LEADER_LOCK_KEY))
                    )
                )
        except Exception as exc:
            if self._held:
                log.warning("lost the leader's lock connection: %s", exc)
            else:
                log.debug("cannot try the leader's lock: %s", exc)
            await self.release()
        return self._held

    async def _connected(self) -> AsyncConnection:
        if self._connection is None:
            connection = await self.engine.connect()
            try:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                for setting in _SESSION_SETTINGS:
                    try:
                        await autocommit.execute(text(setting))
                    except DBAPIError as exc:  # an older PostgreSQL: without it, then
                        log.info("leader's lock connection: %s refused (%s)", setting, exc.orig)
            except BaseException:
                await connection.invalidate()
                await connection.close()
                raise
            self._connection = autocommit
        return self._connection

    async def release(self) -> None:
        """Give the lock up: the connection is discarded, never returned to the pool with
        the lock still held."""
        connection, self._connection, self._held = self._connection, None, False
        if connection is None:
            return
        try:
            await connection.invalidate()
            await connection.close()
        except Exception as exc:
            log.debug("closing the leader's lock connection: %s", exc)
