"""O&M Center: edge pools, the named groups of workers that tasks can be pinned to.

A pool's workers are the ``openvias worker --pool NAME`` processes registered under its
name; ``nodes`` given on create is kept as the operator's note of which workers were meant
to join (a named node that never registered is shown as FAIL). A task with an
``edge_pool_id`` runs only on that pool's workers (the engine's assignment rule).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.domain.ids import new_hex_id
from openvias.errors import Conflict, InUse, NotFound, QuotaExceeded, ReferencedObjectMissing
from openvias.schemas.edge_pools import (
    EdgeNode,
    EdgePoolCreate,
    EdgePoolInfo,
    EdgePoolList,
    EdgePoolListItem,
    PoolState,
)
from openvias.services.video_groups import flush_named
from openvias.services.workers import is_live
from openvias.store.models import EdgePool, EngineWorker
from openvias.store.repositories.edge_pools import EdgePoolRepository, PoolFilter
from openvias.store.repositories.workers import database_now_ms
from openvias.store.repositories.write_locks import lock_edge_pool, lock_project

POOL_QUOTA = 100


class PoolQuotaExceeded(QuotaExceeded):
    error_code = "VIAS.00010050"
    reason = "Pool quota exceeds the upper limit."
    advice = "Delete idle edge pools."


def _pool_item(pool: EdgePool, state: PoolState) -> EdgePoolListItem:
    return EdgePoolListItem(
        id=pool.id,
        name=pool.name,
        description=pool.description,
        project_id=pool.project_id,
        state=state,
        created_at=pool.created_at,
        updated_at=pool.updated_at,
    )


def _node(worker: EngineWorker, now: int, ttl_ms: int) -> EdgeNode:
    live = is_live(worker, now, ttl_ms)
    return EdgeNode(
        id=worker.id,
        name=worker.host or worker.id,
        state=("Draining" if worker.draining else "Running") if live else "FAIL",
        slots=worker.slots,
        slots_used=worker.used,
        slots_free=max(0, worker.slots - worker.used) if live and not worker.draining else 0,
        heartbeat_age_ms=max(0, now - worker.heartbeat_at),
        draining=worker.draining,
        version=worker.version or None,
    )


async def require_edge_pool(session: AsyncSession, project_id: str, pool_id: str) -> None:
    """Refuse a task's ``edge_pool_id`` that names no pool of the project. Locks the pool
    until the transaction ends, so that it cannot be deleted under the new task."""
    if not await lock_edge_pool(session, project_id, pool_id):
        raise ReferencedObjectMissing(
            f"Edge pool {pool_id} does not exist; create it with CreateEdgePool.",
            param="edge_pool_id",
        )


class EdgePoolService:
    def __init__(self, session: AsyncSession, project_id: str, ttl_ms: int) -> None:
        self.session = session
        self.project_id = project_id
        #: A worker is live while its last heartbeat is younger (the lease time).
        self.ttl_ms = ttl_ms
        self.pools = EdgePoolRepository(session)

    async def _require(self, pool_id: str) -> EdgePool:
        pool = await self.pools.get(self.project_id, pool_id)
        if pool is None:
            raise NotFound(f"Edge pool {pool_id} does not exist.", param="id")
        return pool

    @staticmethod
    def _name_conflict(name: str) -> Conflict:
        return Conflict(f"An edge pool named {name} exists.", param="name")

    async def create(self, body: EdgePoolCreate) -> str:
        await lock_project(self.session, self.project_id)  # counted and inserted alone
        if await self.pools.count(self.project_id) >= POOL_QUOTA:
            raise PoolQuotaExceeded(f"At most {POOL_QUOTA} edge pools per project.")
        if await self.pools.name_taken(body.name):
            raise self._name_conflict(body.name)
        now = now_ms()
        pool = EdgePool(
            id=new_hex_id(),
            project_id=self.project_id,
            name=body.name,
            description=body.description,
            nodes=list(dict.fromkeys(body.nodes)),
            created_at=now,
            updated_at=now,
        )
        self.session.add(pool)
        # Names are unique across projects: another project may take it at the same time.
        await flush_named(self.session, self._name_conflict(pool.name))
        return pool.id

    async def delete(self, pool_id: str) -> None:
        await self._require(pool_id)
        await lock_edge_pool(self.session, self.project_id, pool_id)
        users = await self.pools.tasks_using(pool_id)
        if users:
            raise InUse(
                f"Edge pool {pool_id} is used by task {users[0]}"
                f"{' and others' if len(users) > 1 else ''}; delete those tasks first.",
                param="id",
            )
        pool = await self._require(pool_id)
        await self.session.delete(pool)
        await self.session.flush()

    async def show(self, pool_id: str) -> EdgePoolInfo:
        pool = await self._require(pool_id)
        now = await database_now_ms(self.session)
        workers = await self.pools.workers(pool.name)
        nodes = [_node(w, now, self.ttl_ms) for w in workers]
        registered = {w.id for w in workers}
        nodes += [
            EdgeNode(id=node_id, name=node_id, state="FAIL")
            for node_id in pool.nodes
            if node_id not in registered
        ]
        running = any(is_live(w, now, self.ttl_ms) and not w.draining for w in workers)
        state: PoolState = "Running" if running else "Abnormal"
        return EdgePoolInfo(**_pool_item(pool, state).model_dump(), nodes=nodes)

    async def list_page(self, f: PoolFilter, *, limit: int | None, offset: int) -> EdgePoolList:
        now = await database_now_ms(self.session)
        pools, total = await self.pools.page(
            self.project_id, f, now, self.ttl_ms, limit=limit, offset=offset
        )
        live = await self.pools.live_pool_names([p.name for p in pools], now, self.ttl_ms)
        items = [_pool_item(p, "Running" if p.name in live else "Abnormal") for p in pools]
        return EdgePoolList(count=total, edge_pools=items)
