"""Locks that make a count-then-write exact under concurrency (a project's quota of groups
or sources, a resource order's ``max_tasks``): take the lock, then count, then write, all in
the request's transaction; a concurrent request doing the same waits until it ends.

PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the row that owns the limit (the project,
the resource order). At READ COMMITTED the count that follows the wait sees what the first
holder committed. NO KEY: rows that merely reference the locked one (their foreign-key check
takes KEY SHARE) are still inserted freely by other transactions.

SQLite: pysqlite runs reads before a transaction's first write outside any write lock, so
two connections could both count 999 and both insert. A write that changes nothing (on the
change counter's row, which no trigger watches) takes the database write lock first,
waiting up to the busy timeout; the reads after it see the last committed state, and no
other connection commits until this transaction ends. SQLite has one writer at a time
anyway, so a database-wide lock costs nothing that a row lock would save."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import ChangeCounter, EdgePool, Project, ResourceOrder

_SQLITE_WRITE_LOCK = (
    update(ChangeCounter)
    .where(ChangeCounter.id == 1)
    .values(version=ChangeCounter.version)
    .execution_options(synchronize_session=False)
)


async def _lock(session: AsyncSession, row: Select[Any]) -> bool:
    """Lock the row ``row`` selects (its key column); whether it exists."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(_SQLITE_WRITE_LOCK)
    else:
        row = row.with_for_update(key_share=True)
    return (await session.execute(row)).first() is not None


async def lock_project(session: AsyncSession, project_id: str) -> bool:
    """Serialise the quota checks of one project's video groups and sources."""
    return await _lock(session, select(Project.id).where(Project.id == project_id))


async def lock_resource_order(session: AsyncSession, order_id: str) -> bool:
    """Serialise the checks of one resource order's ``max_tasks``."""
    return await _lock(session, select(ResourceOrder.id).where(ResourceOrder.id == order_id))


async def lock_edge_pool(session: AsyncSession, project_id: str, pool_id: str) -> bool:
    """Serialise a task's choice of an edge pool with the pool's deletion; whether the
    pool exists in the project."""
    pool = select(EdgePool.id).where(EdgePool.project_id == project_id, EdgePool.id == pool_id)
    return await _lock(session, pool)
