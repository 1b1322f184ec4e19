"""Queries over edge pools, the workers that joined them and the tasks that use them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, asc, desc, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import EdgePool, EngineWorker, Task
from openvias.store.repositories.workers import live_condition


@dataclass(frozen=True, slots=True)
class PoolFilter:
    name_like: str | None = None
    #: True: only pools with a live worker; False: only pools without one.
    live: bool | None = None
    sort: str = "created_at"
    descending: bool = True


def _has_live_worker(now: int, ttl_ms: int) -> ColumnElement[bool]:
    return exists().where(EngineWorker.pool == EdgePool.name, live_condition(now, ttl_ms))


class EdgePoolRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str, pool_id: str) -> EdgePool | None:
        return await self.session.scalar(
            select(EdgePool).where(EdgePool.project_id == project_id, EdgePool.id == pool_id)
        )

    async def name_taken(self, name: str) -> bool:
        """Across the deployment: a worker joins a pool by its name alone."""
        return (
            await self.session.scalar(select(EdgePool.id).where(EdgePool.name == name)) is not None
        )

    async def count(self, project_id: str) -> int:
        stmt = select(func.count()).where(EdgePool.project_id == project_id)
        return int(await self.session.scalar(stmt) or 0)

    async def tasks_using(self, pool_id: str) -> list[str]:
        """Ids of (up to three of) the tasks that must run on the pool."""
        rows = await self.session.scalars(
            select(Task.id).where(Task.edge_pool_id == pool_id).order_by(Task.id).limit(3)
        )
        return list(rows)

    async def live_pool_names(self, names: list[str], now: int, ttl_ms: int) -> set[str]:
        """Of the pools ``names``, those with a live worker that is not draining."""
        if not names:
            return set()
        rows = await self.session.scalars(
            select(EngineWorker.pool)
            .where(EngineWorker.pool.in_(names), live_condition(now, ttl_ms))
            .distinct()
        )
        return set(rows)

    async def workers(self, pool_name: str) -> list[EngineWorker]:
        rows = await self.session.scalars(
            select(EngineWorker).where(EngineWorker.pool == pool_name).order_by(EngineWorker.id)
        )
        return list(rows)

    async def page(
        self,
        project_id: str,
        f: PoolFilter,
        now: int,
        ttl_ms: int,
        *,
        limit: int | None,
        offset: int,
    ) -> tuple[list[EdgePool], int]:
        stmt: Select[EdgePool] = select(EdgePool).where(EdgePool.project_id == project_id)
        if f.name_like:
            stmt = stmt.where(EdgePool.name.contains(f.name_like, autoescape=True))
        if f.live is not None:
            live = _has_live_worker(now, ttl_ms)
            stmt = stmt.where(live if f.live else ~live)
        total = int(
            await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        )
        column = EdgePool.updated_at if f.sort == "updated_at" else EdgePool.created_at
        order = desc if f.descending else asc
        stmt = stmt.order_by(order(column), order(EdgePool.id)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(await self.session.scalars(stmt)), total
