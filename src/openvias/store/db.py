"""Engine and session factories; SQLite gets WAL and a busy timeout; on PostgreSQL every
write is announced on :data:`CHANGES_CHANNEL` (what keeps read caches exact, see
``store/direct.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: PostgreSQL channel: ``NOTIFY`` in every transaction that changed rows (delivered at commit).
CHANGES_CHANNEL = "openvias_changes"
#: Tables written often that no cached read depends on (the read cache of
#: ``api/fast_reads.py`` holds ListVideoSources: video sources, their groups, group members,
#: batch-task groups and tasks): their writes are not announced. Announcing costs more than a
#: round trip: PostgreSQL serialises the commits of NOTIFYing transactions (a global lock
#: held through the commit's WAL flush). A table missing here is announced: safe, slower.
UNANNOUNCED_TABLES = frozenset(
    {"alarm_events", "alarm_images", "stream_leases", "outbox", "tokens"}
    | {"deliveries", "delivery_attempts", "event_rules"}
    | {"engine_workers"}
)
#: PostgreSQL channel: ``NOTIFY`` in every transaction that may end a verified token's
#: validity (an update or delete of a token, user, project, grant or domain), which the token
#: caches of all API replicas listen to (``api/token_coherence.py``). Logins (inserts) are
#: not announced: a new token is in no cache.
IDENTITY_CHANNEL = "openvias_identity"
IDENTITY_TABLES = frozenset({"tokens", "users", "projects", "grants", "domains"})
#: First keywords of statements that change no row (anything else may, DDL included).
_READ_ONLY_STATEMENTS = frozenset(
    {"select", "show", "explain", "values", "begin", "start", "commit", "end", "rollback"}
    | {"savepoint", "release", "set", "reset", "listen", "unlisten", "notify", "fetch", "close"}
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            # Enough connections for a busy API process: an overflow connection is closed
            # after use, and reopening one (a thread, a file, the pragmas) is not cheap.
            pool_size=32,
            max_overflow=32,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # No pre-ping (a round trip per checkout): a connection lost with the server fails one
    # request with 503 (retryable) and is then replaced by the pool.
    engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800)
    _announce_writes(engine)
    return engine


def _first_keyword(statement: str) -> str:
    words = statement.lstrip(" \t\r\n(").split(None, 1)
    return words[0].lower() if words else ""


def _announce_writes(engine: AsyncEngine) -> None:
    """``NOTIFY`` after every statement that may have changed rows (PostgreSQL folds the
    repeats of one transaction into one notification, sent at commit, dropped on rollback).
    Every openvias process writes through this engine (API, CLI, engine, migrations), so
    a listener hears of every write; a writer that bypasses it (psql) must send
    ``NOTIFY openvias_changes`` itself for running servers' read caches to drop what it
    changed."""

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _notify(
        conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        keyword = _first_keyword(statement)
        if cursor.rowcount == 0 or keyword in _READ_ONLY_STATEMENTS:
            return
        table = getattr(
            getattr(getattr(context, "compiled", None), "statement", None), "table", None
        )
        name = getattr(table, "name", None)
        if name in IDENTITY_TABLES and keyword in ("update", "delete"):
            _send(conn, IDENTITY_CHANNEL)
        if name not in UNANNOUNCED_TABLES:
            _send(conn, CHANGES_CHANNEL)


def _send(conn: Any, channel: str) -> None:
    # A cursor of its own: the statement's may still hold rows to fetch (RETURNING).
    notify = conn.connection.cursor()
    try:
        notify.execute(f"NOTIFY {channel}")
    finally:
        notify.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
