"""The engine workers as operators see them: registration, health, slots and what each
one runs (``openvias workers``, ``GET /v2/{project_id}/workers``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.schemas.workers import WorkerInfo, WorkerList, WorkerTask
from openvias.store.models import EngineWorker
from openvias.store.repositories.worker_views import HeldLease, leases_held
from openvias.store.repositories.workers import database_now_ms
from openvias.store.repositories.workers import list_workers as registered_workers


def is_live(worker: EngineWorker, now: int, ttl_ms: int) -> bool:
    """It sent a heartbeat within the lease time (``OPENVIAS_LEASE_TTL_SECONDS``), after
    which its streams are taken over (times are the database's clock)."""
    return worker.heartbeat_at >= now - ttl_ms


def worker_info(worker: EngineWorker, leases: list[HeldLease], now: int, ttl_ms: int) -> WorkerInfo:
    return WorkerInfo(
        id=worker.id,
        pool=worker.pool,
        host=worker.host,
        pid=worker.pid,
        version=worker.version,
        live=is_live(worker, now, ttl_ms),
        draining=worker.draining,
        slots=worker.slots,
        slots_used=worker.used,
        slots_free=max(0, worker.slots - worker.used),
        started_at=worker.started_at,
        heartbeat_at=worker.heartbeat_at,
        heartbeat_age_ms=max(0, now - worker.heartbeat_at),
        tasks=[
            WorkerTask(
                task_id=lease.task_id,
                lease_age_ms=max(0, now - lease.renewed_at),
                lease_expires_in_ms=lease.expires_at - now,
            )
            for lease in leases
        ],
    )


async def list_workers(
    session: AsyncSession, ttl_ms: int, project_id: str | None = None
) -> WorkerList:
    """Every registered worker (live or not), with the tasks it holds a lease on: all of
    them, or only those of ``project_id`` (workers are shared, tasks are not)."""
    now = await database_now_ms(session)
    workers = await registered_workers(session)
    by_owner: dict[str, list[HeldLease]] = {w.id: [] for w in workers}
    for lease in await leases_held(session, list(by_owner), project_id):
        by_owner[lease.owner].append(lease)
    infos = [worker_info(w, by_owner[w.id], now, ttl_ms) for w in workers]
    return WorkerList(count=len(infos), workers=infos)
