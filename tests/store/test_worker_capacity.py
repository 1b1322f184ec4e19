"""The leader's duties on a full pool, on real SQLite and PostgreSQL: a stream whose owner
died waits in LACK_OF_RESOURCES and, once a worker has room, resumes at its checkpoint; a
fresh start that waited begins a new run from the start."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.engine.assignment import lead
from openvias.store.db import transaction
from openvias.store.models import StreamLease, Task
from openvias.store.models.workers import EngineWorker
from openvias.store.repositories.stream_leases import Lease, StreamLeaseRepository
from openvias.store.repositories.workers import WorkerInfo, heartbeat, pool_load
from tests.db_support import ensure_project, migrated
from tests.store.test_stream_leases import PROJECT, T0, TTL, new_task


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with migrated(database_url) as (_, maker):
        await ensure_project(maker, PROJECT, "capacity-tests")
        async with transaction(maker) as session:  # each test its own pool
            for model in (StreamLease, Task, EngineWorker):
                await session.execute(delete(model))
        yield maker


async def beat(maker: async_sessionmaker[AsyncSession], worker: str, now: int) -> None:
    """``worker`` (one slot) heartbeats: renews its leases and its row."""
    async with transaction(maker) as session:
        await StreamLeaseRepository(session, worker).renew(now, TTL)
        info = WorkerInfo(worker, "default", 1, "host", 1, "test")
        await heartbeat(session, info, 1, False, now)


async def claim(maker: async_sessionmaker[AsyncSession], worker: str, task: str, now: int) -> Lease:
    async with transaction(maker) as session:
        lease = await StreamLeaseRepository(session, worker).claim(task, now, TTL)
    assert lease is not None
    return lease


async def task_row(maker: async_sessionmaker[AsyncSession], task_id: str) -> Task:
    async with maker() as session:
        task = await session.get(Task, task_id)
    assert task is not None
    return task


async def leader_beat(maker: async_sessionmaker[AsyncSession], now: int) -> None:
    async with transaction(maker) as session:
        assert await lead(session, now, TTL)


async def test_an_orphan_of_a_full_pool_waits_then_resumes_at_its_checkpoint(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    orphan, other = await new_task(sessions, "RUNNING"), await new_task(sessions, "RUNNING")
    for worker in ("a", "b"):
        await beat(sessions, worker, T0)
    first = await claim(sessions, "a", orphan, T0)
    await claim(sessions, "b", other, T0)
    async with transaction(sessions) as session:
        await StreamLeaseRepository(session, "a").checkpoint(orphan, first.epoch, 120_000, T0)
    # "a" dies; "b" keeps beating and its one slot is in use.
    later = T0 + TTL + 1_000
    await beat(sessions, "b", later)
    await leader_beat(sessions, later)
    waiting = await task_row(sessions, orphan)
    assert waiting.state == "LACK_OF_RESOURCES"
    assert waiting.error_code == "VIAS.LACK_OF_RESOURCES"
    assert waiting.error_message == "pool default: 1 of 1 slots in use on 1 worker"
    assert (await task_row(sessions, other)).state == "RUNNING"
    async with sessions() as session:  # it waits, and counts as wanted (a fair share of it)
        load = await pool_load(session, "default", later, TTL)
    assert (load.live_workers, load.held, load.wanted, load.free) == (1, 1, 2, 0)
    # "c" joins with a free slot: the orphan becomes claimable and resumes where it was.
    await beat(sessions, "c", later + 500)
    await leader_beat(sessions, later + 500)
    resumed = await task_row(sessions, orphan)
    assert (resumed.state, resumed.error_code) == ("RECOVERING", None)
    lease = await claim(sessions, "c", orphan, later + 600)
    assert (lease.run, lease.position_ms) == (first.run, 120_000)


async def test_a_fresh_start_that_waited_begins_a_new_run(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    busy, fresh = await new_task(sessions, "RUNNING"), await new_task(sessions, "PENDING")
    await beat(sessions, "a", T0)
    # An earlier run of the fresh task got half-way through its file, then was stopped.
    earlier = await claim(sessions, "b", fresh, T0)
    async with transaction(sessions) as session:
        leases = StreamLeaseRepository(session, "b")
        await leases.checkpoint(fresh, earlier.epoch, 50_000, T0)
        await leases.release(fresh, earlier.epoch)
    async with transaction(sessions) as session:
        task = await session.get(Task, fresh)
        assert task is not None
        task.state = "PENDING"
    await claim(sessions, "a", busy, T0)
    await leader_beat(sessions, T0 + 100)
    assert (await task_row(sessions, fresh)).state == "LACK_OF_RESOURCES"
    await beat(sessions, "c", T0 + 200)
    await leader_beat(sessions, T0 + 200)
    assert (await task_row(sessions, fresh)).state == "PENDING"
    lease = await claim(sessions, "c", fresh, T0 + 300)
    assert (lease.run, lease.position_ms) == (earlier.run + 1, 0)
