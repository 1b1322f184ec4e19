"""Direct reads: hot read-only statements on driver connections of their own, and the
exact version of the database as of now (what keeps a read cache exact).

SQLAlchemy's async layer costs several times what a small indexed query does (greenlet
switches, the pool, and on SQLite one thread hand-off per DBAPI call), so the hottest read
(ShowVideoSourceDetail) runs its Core statements, compiled once, straight on the driver:

- SQLite: a stdlib ``sqlite3`` connection (``query_only``: it can never write) used on the
  event loop itself. The statements are indexed lookups of a few rows (about 0.015 ms);
  a hand-off to a worker thread costs more than that (about 0.05 ms of CPU per statement,
  measured; aiosqlite under SQLAlchemy makes four per statement, plus the transaction's).
  It never waits for a lock (``busy_timeout`` 0: in WAL mode readers are not blocked by
  writers; a busy database, rare, raises and the caller falls back to the routed path).
  ``version()`` reads the change counter (``store/models/changes.py``) on the same
  connection, with ``PRAGMA schema_version``: a few microseconds, None when busy. Triggers
  bump the counter in the transaction of every write to a table that cached reads depend
  on, so it changes with every such commit of any connection or process (a ``sqlite3``
  shell included), and not with the engine's leases, checkpoints and alarms, which
  ``PRAGMA data_version`` would count too.
- PostgreSQL: see ``store/direct_pg.py`` (a few asyncpg connections, LISTEN/NOTIFY).

Only constant statements may be passed (module-level, with ``bindparam`` values): each is
compiled once per object, and bound values go to the driver unconverted (use strings and
integers)."""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from openvias.store.direct_pg import PgDirectReads
from openvias.store.statements import AnySelect, CompiledStatements, Row


class DirectReads(Protocol):
    async def fetch(self, stmt: AnySelect, params: Mapping[str, Any]) -> Sequence[Row]:
        """The rows of ``stmt``; raises on any failure (the caller falls back)."""

    async def version(self) -> Hashable | None:
        """The database's version as of now: equal values mean no write committed in
        between, by any process; any write whose commit was acknowledged before this call
        started has changed it. None when it cannot be known (do not cache then)."""

    async def close(self) -> None: ...


_COUNTER = "SELECT version FROM change_counter WHERE id = 1"


def _read_only(path: str) -> sqlite3.Connection:
    # Autocommit: no snapshot stays open between statements. Never waits for a lock.
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout=0")
    db.execute("PRAGMA query_only=1")
    return db


class SqliteDirectReads:
    def __init__(self, path: str, dialect: Dialect) -> None:
        self._statements = CompiledStatements(dialect)
        self._db = _read_only(path)

    async def fetch(self, stmt: AnySelect, params: Mapping[str, Any]) -> Sequence[Row]:
        compiled = self._statements.get(stmt)
        return compiled.rows(self._db.execute(compiled.sql, compiled.args(params)).fetchall())

    async def version(self) -> Hashable | None:
        try:
            counter = self._db.execute(_COUNTER).fetchone()
            schema = self._db.execute("PRAGMA schema_version").fetchone()
        except sqlite3.Error:
            return None
        if counter is None or schema is None:
            return None
        return (int(counter[0]), int(schema[0]))

    async def close(self) -> None:
        self._db.close()


def _sqlite_path(engine: AsyncEngine) -> str | None:
    """The database file, or None for an in-memory or URI-configured database."""
    url = engine.url
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:") or url.query:
        return None
    return path


async def open_direct_reads(engine: AsyncEngine) -> DirectReads | None:
    """Direct reads beside ``engine``; None where they are not supported."""
    if engine.dialect.name == "sqlite":
        path = _sqlite_path(engine)
        return SqliteDirectReads(path, engine.dialect) if path else None
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
        return PgDirectReads(engine)
    return None
