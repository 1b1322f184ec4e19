"""Engine workers: registration, heartbeats, pools, capacity, and the per-tick leader.

Times are epoch ms of the **database clock** on PostgreSQL (``database_now_ms``): with many
machines, expiry must not depend on whose wall clock is right. A worker is live while its
``heartbeat_at`` is newer than ``now - ttl`` and it is not draining.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, exists, func, not_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.store.models import EdgePool, StreamLease, Task
from openvias.store.models.workers import DEFAULT_POOL, EngineWorker
from openvias.store.repositories.stream_leases import FRESH_START, WANTS_RUNNING

#: The advisory lock whose holder (for one transaction) is the leader of a tick.
LEADER_LOCK_KEY = 0x0_5EA5_0016
LACK_OF_RESOURCES = "LACK_OF_RESOURCES"
NO_CAPACITY = "VIAS.LACK_OF_RESOURCES"
#: States of a task that ran: with no live owner, it is an orphan waiting for a slot.
ORPHANED_STATES = tuple(state for state in WANTS_RUNNING if state not in FRESH_START)


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    id: str
    pool: str
    slots: int
    host: str
    pid: int
    version: str


@dataclass(frozen=True, slots=True)
class PoolLoad:
    """A pool as its live workers see it at one instant."""

    live_workers: int
    slots: int
    #: Leases held (unexpired) by the pool's live workers.
    held: int
    #: Tasks of the pool that want running.
    wanted: int

    @property
    def free(self) -> int:
        return max(self.slots - self.held, 0)


async def database_now_ms(session: AsyncSession) -> int:
    """The database's clock (PostgreSQL), else this machine's (SQLite: one machine)."""
    if session.get_bind().dialect.name != "postgresql":
        return now_ms()
    value = await session.scalar(text("SELECT (extract(epoch FROM clock_timestamp()) * 1000)"))
    return int(value)


async def is_leader(session: AsyncSession) -> bool:
    """Whether this transaction leads this tick (an advisory lock, released at commit)."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: one node
    held = await session.scalar(select(func.pg_try_advisory_xact_lock(LEADER_LOCK_KEY)))
    return bool(held)


async def heartbeat(
    session: AsyncSession, worker: WorkerInfo, used: int, draining: bool, now: int
) -> None:
    """Register the worker, or renew its row (insert on first beat, update after)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(EngineWorker).values(
        id=worker.id,
        pool=worker.pool,
        slots=worker.slots,
        used=used,
        host=worker.host[:255],
        pid=worker.pid,
        version=worker.version[:32],
        started_at=now,
        heartbeat_at=now,
        draining=draining,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "pool": worker.pool,
                "slots": worker.slots,
                "used": used,
                "host": worker.host[:255],
                "pid": worker.pid,
                "heartbeat_at": now,
                "draining": draining,
            },
        )
    )


async def unregister(session: AsyncSession, worker_id: str) -> None:
    await session.execute(delete(EngineWorker).where(EngineWorker.id == worker_id))


async def list_workers(session: AsyncSession) -> Sequence[EngineWorker]:
    """Every registered worker (live or not), by pool then id."""
    rows = await session.scalars(select(EngineWorker).order_by(EngineWorker.pool, EngineWorker.id))
    return rows.all()


def live_condition(now: int, ttl_ms: int) -> ColumnElement[bool]:
    return and_(EngineWorker.heartbeat_at >= now - ttl_ms, EngineWorker.draining.is_(False))


def pool_tasks(pool: str) -> ColumnElement[bool]:
    """The tasks a worker of ``pool`` may run. A task naming a pool that does not exist
    (an old VAS task's ``edge_pool_id``) runs on the default pool."""
    if pool != DEFAULT_POOL:
        return Task.edge_pool_id.in_(select(EdgePool.id).where(EdgePool.name == pool))
    return or_(
        Task.edge_pool_id.is_(None),
        not_(exists().where(EdgePool.id == Task.edge_pool_id)),
    )


def _wanted(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Tasks that want running, those waiting for a slot included."""
    states = (*WANTS_RUNNING, LACK_OF_RESOURCES)
    return and_(Task.desired_state == "running", Task.state.in_(states), condition)


async def pool_load(session: AsyncSession, pool: str, now: int, ttl_ms: int) -> PoolLoad:
    live = select(EngineWorker.id, EngineWorker.slots).where(
        EngineWorker.pool == pool, live_condition(now, ttl_ms)
    )
    workers = (await session.execute(live)).all()
    ids = [worker_id for worker_id, _ in workers]
    held = 0
    if ids:
        held = int(
            await session.scalar(
                select(func.count())
                .select_from(StreamLease)
                .where(StreamLease.owner.in_(ids), StreamLease.expires_at >= now)
            )
            or 0
        )
    wanted = int(
        await session.scalar(
            select(func.count()).select_from(Task).where(_wanted(pool_tasks(pool)))
        )
        or 0
    )
    return PoolLoad(len(workers), sum(slots for _, slots in workers), held, wanted)


async def pool_names(session: AsyncSession) -> list[str]:
    """The default pool and every edge pool."""
    names = set(await session.scalars(select(EdgePool.name)))
    return [DEFAULT_POOL, *sorted(names)]


async def mark_lack_of_resources(
    session: AsyncSession, pool: str, now: int, ttl_ms: int, load: PoolLoad
) -> int:
    """Tasks nobody can take become LACK_OF_RESOURCES with why; returns how many. They are
    fresh starts, and streams whose owner died (or left) while no slot of the pool is free."""
    if load.live_workers and load.free:
        return 0
    if load.live_workers == 0:
        why = f"no live worker in pool {pool}: start `openvias worker --pool {pool}`"
    else:
        workers = "worker" if load.live_workers == 1 else "workers"
        why = (
            f"pool {pool}: {load.held} of {load.slots} slots in use "
            f"on {load.live_workers} {workers}"
        )
    unheld = and_(Task.desired_state == "running", pool_tasks(pool), not_(_held_now(now)))
    fresh = list(await session.scalars(select(Task.id).where(unheld, Task.state.in_(FRESH_START))))
    orphans = list(
        await session.scalars(
            select(Task.id).where(
                unheld, Task.state.in_(ORPHANED_STATES), not_(_held_by_live_worker(now, ttl_ms))
            )
        )
    )
    if fresh:
        # Nothing of an earlier run is resumed when room appears (release_lack_of_resources).
        await session.execute(
            update(StreamLease)
            .where(StreamLease.task_id.in_(fresh), StreamLease.expires_at < now)
            .values(owner=None, position_ms=0)
            .execution_options(synchronize_session=False)
        )
    if not fresh and not orphans:
        return 0
    result = await session.execute(
        update(Task)
        .where(Task.id.in_([*fresh, *orphans]), Task.state.in_(WANTS_RUNNING))
        .values(state=LACK_OF_RESOURCES, error_code=NO_CAPACITY, error_message=why[:512])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def release_lack_of_resources(session: AsyncSession, pool: str, load: PoolLoad) -> int:
    """When the pool has room again, its waiting tasks become claimable: a file with a
    checkpoint resumes there (RECOVERING), anything else starts anew (PENDING)."""
    if not load.live_workers or not load.free:
        return 0
    waiting = list(
        await session.scalars(
            select(Task.id)
            .where(
                Task.desired_state == "running",
                Task.state == LACK_OF_RESOURCES,
                pool_tasks(pool),
            )
            .order_by(Task.created_at, Task.id)
            .limit(load.free)
        )
    )
    if not waiting:
        return 0
    checkpointed = exists().where(StreamLease.task_id == Task.id, StreamLease.position_ms > 0)
    released = 0
    for state, condition in (("RECOVERING", checkpointed), ("PENDING", not_(checkpointed))):
        result = await session.execute(
            update(Task)
            .where(Task.id.in_(waiting), Task.state == LACK_OF_RESOURCES, condition)
            .values(state=state, error_code=None, error_message=None)
            .execution_options(synchronize_session=False)
        )
        released += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return released


def _held_by_live_worker(now: int, ttl_ms: int) -> ColumnElement[bool]:
    """The task's lease names a live worker: it is (re)claiming it, or renews it soon."""
    live = select(EngineWorker.id).where(live_condition(now, ttl_ms))
    return exists().where(StreamLease.task_id == Task.id, StreamLease.owner.in_(live))


def _held_now(now: int) -> ColumnElement[bool]:
    return exists().where(
        StreamLease.task_id == Task.id,
        StreamLease.owner.is_not(None),
        StreamLease.expires_at >= now,
    )
