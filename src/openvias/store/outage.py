"""The database going away (a PostgreSQL restart or failover) as opposed to a statement that
is wrong: what tells them apart, and how the long-running loops live through it.

Every process keeps running while the database is unreachable: the loops retry with a
backoff (``retry_delay``), the engine keeps its streams and holds back the alarms they
raise until they are stored (``until_written``), and each process logs one line when the
database goes away and one when it answers again."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, OperationalError

#: PostgreSQL states of a server going away: admin or crash shutdown, cannot connect now.
_SHUTDOWN_STATES = frozenset({"57P01", "57P02", "57P03"})
RETRY_FIRST_S = 0.25
RETRY_MAX_S = 1.0


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection to the database was lost or refused (worth
    retrying once the server is back), not that a statement failed."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            return True
        return _lost_connection(exc.orig)
    return _lost_connection(exc)


def _lost_connection(exc: BaseException | None) -> bool:
    # Connecting is not wrapped by SQLAlchemy: refused (OSError) or asyncpg's own errors.
    while exc is not None:
        if isinstance(exc, OSError | TimeoutError):
            return True
        state = getattr(exc, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in _SHUTDOWN_STATES):
            return True
        exc = exc.__cause__
    return False


class DatabaseOutage:
    """One warning when the database becomes unreachable, one line when it answers again,
    and the delay before the next try meanwhile."""

    def __init__(self, log: logging.Logger, doing: str) -> None:
        self.log = log
        self.doing = doing
        self.since: float | None = None
        self.failures = 0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        if self.since is None:
            self.since = time.monotonic()
            self.log.warning(
                "database unreachable (%s: %s); %s, retrying",
                type(exc).__name__,
                str(exc).splitlines()[0][:200] if str(exc) else "",
                self.doing,
            )

    def answered(self) -> None:
        if self.since is not None:
            self.log.warning(
                "database reachable again after %.1f s (%d tries)",
                time.monotonic() - self.since,
                self.failures,
            )
        self.since = None
        self.failures = 0

    def retry_delay(self) -> float:
        return min(RETRY_MAX_S, RETRY_FIRST_S * 2.0 ** min(max(self.failures - 1, 0), 8))


async def until_written(
    write: Callable[[], Awaitable[None]],
    outage: DatabaseOutage,
    *,
    give_up: Callable[[], bool],
) -> None:
    """Run ``write`` (one transaction) until it commits, retrying while the database is
    unreachable; any other error, or one once ``give_up()`` says so, is raised."""
    while True:
        try:
            await write()
        except Exception as exc:
            if not database_unreachable(exc) or give_up():
                raise
            outage.failed(exc)
            await asyncio.sleep(outage.retry_delay())
        else:
            outage.answered()
            return
