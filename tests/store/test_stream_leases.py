"""Leases on tasks, on real SQLite and PostgreSQL: one owner at a time, takeover only after
expiry, and a stale owner (a paused or partitioned process) writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.domain.alarms import Alarm, alarm_message_id
from openvias.services.stream_health import stream_view
from openvias.store.db import transaction
from openvias.store.models import AlarmEvent, Task
from openvias.store.repositories.alarm_events import insert_alarm
from openvias.store.repositories.stream_health import stream_of_task, streams_page
from openvias.store.repositories.stream_leases import StreamHealthRecord, StreamLeaseRepository
from tests.db_support import ensure_project, migrated

TTL = 15_000
T0 = 1_800_000_000_000
PROJECT = "0" * 31 + "1"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with migrated(database_url) as (_, maker):
        await ensure_project(maker, PROJECT, "lease-tests")
        yield maker


async def new_task(maker: async_sessionmaker[AsyncSession], state: str = "STARTING") -> str:
    task_id = alarm_message_id("lease", 0, T0).replace("-", "").lower()[:32]
    async with transaction(maker) as session:
        while await session.get(Task, task_id) is not None:
            task_id = alarm_message_id(task_id, 0, T0).replace("-", "").lower()[:32]
        session.add(
            Task(
                id=task_id,
                project_id=PROJECT,
                name=task_id,
                service_name="c-smoke-and-fire-cloud",
                service_version="3.0",
                input_type="url",
                input={"type": "url", "data": [{"url": "rtsp://camera/1"}]},
                state=state,
                desired_state="running",
                created_at=T0,
                updated_at=T0,
            )
        )
    return task_id


def alarm(task_id: str, media_ms: int) -> Alarm:
    return Alarm(
        message_id=alarm_message_id(task_id, 1, media_ms),
        project_id=PROJECT,
        task_id=task_id,
        batch_id=None,
        video_source_id=None,
        stream_id=task_id,
        service_name="c-smoke-and-fire-cloud",
        event_type=393216,
        timestamp=T0 // 1000,
        media_ms=media_ms,
        run=1,
        event_set=[{"state": 1, "bounding_box": {"x": 1, "y": 2, "w": 3, "h": 4}}],
        jpeg=b"\xff\xd8\xff\xd9",
    )


async def test_one_owner_at_a_time_and_takeover_after_expiry(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    task_id = await new_task(sessions)
    async with transaction(sessions) as session:
        first = await StreamLeaseRepository(session, "node-a").claim(task_id, T0, TTL)
    assert first is not None
    assert (first.epoch, first.run, first.position_ms) == (1, 1, 0)
    async with transaction(sessions) as session:
        b = StreamLeaseRepository(session, "node-b")
        assert await b.claimable(T0 + 1000, (), 10) == []
        assert await b.claim(task_id, T0 + 1000, TTL) is None  # still held by A
    async with transaction(sessions) as session:
        a = StreamLeaseRepository(session, "node-a")
        assert await a.set_state(task_id, first.epoch, "RUNNING")
        await a.checkpoint(task_id, first.epoch, 42_000, T0 + 2000)
    # A stops renewing (paused, partitioned); after the TTL, B takes over.
    later = T0 + TTL + 1
    async with transaction(sessions) as session:
        b = StreamLeaseRepository(session, "node-b")
        assert task_id in await b.claimable(later, (), 10)
        second = await b.claim(task_id, later, TTL)
    assert second is not None
    # A resume (the task was RUNNING) keeps the run and the file position.
    assert (second.epoch, second.run, second.position_ms) == (2, 1, 42_000)
    # The stale owner changes nothing: no state, no checkpoint, no alarm.
    async with transaction(sessions) as session:
        a = StreamLeaseRepository(session, "node-a")
        assert not await a.set_state(task_id, first.epoch, "ABNORMAL", error=("x", "y"))
        assert not await a.holds(task_id, first.epoch)
        await a.checkpoint(task_id, first.epoch, 99_000, later)
        assert await a.renew(later, TTL) == {}
    async with transaction(sessions) as session:
        state = await session.scalar(select(Task.state).where(Task.id == task_id))
        assert state == "RUNNING"
        b = StreamLeaseRepository(session, "node-b")
        assert await b.holds(task_id, second.epoch)
        assert await b.renew(later, TTL) == {task_id: 2}


async def test_a_user_start_begins_a_new_run(sessions: async_sessionmaker[AsyncSession]) -> None:
    task_id = await new_task(sessions)
    async with transaction(sessions) as session:
        leases = StreamLeaseRepository(session, "node-a")
        first = await leases.claim(task_id, T0, TTL)
        assert first is not None
        await leases.checkpoint(task_id, first.epoch, 5_000, T0)
        assert await leases.set_state(task_id, first.epoch, "SUCCEEDED", final=True)
        await leases.release(task_id, first.epoch)
        # Finished tasks are not claimed again ...
        assert await leases.claimable(T0 + 1, (), 10) == []
        # ... until the user starts them (the API sets STARTING and desired running).
        task = await session.get(Task, task_id)
        assert task is not None
        assert (task.state, task.desired_state) == ("SUCCEEDED", "stopped")
        task.state, task.desired_state = "STARTING", "running"
        await session.flush()
        again = await leases.claim(task_id, T0 + 2, TTL)
    assert again is not None
    assert (again.run, again.position_ms) == (2, 0)


async def test_a_stopped_task_refuses_state_reports(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    task_id = await new_task(sessions)
    async with transaction(sessions) as session:
        leases = StreamLeaseRepository(session, "node-a")
        lease = await leases.claim(task_id, T0, TTL)
        assert lease is not None
        task = await session.get(Task, task_id)
        assert task is not None
        task.state, task.desired_state = "STOPPED", "stopped"  # the user stopped it
        await session.flush()
        # A RUNNING report that raced the stop must not resurrect the task.
        assert not await leases.set_state(task_id, lease.epoch, "RUNNING")


async def test_alarms_are_stored_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    task_id = await new_task(sessions)
    async with transaction(sessions) as session:
        assert await insert_alarm(session, alarm(task_id, 1000), T0)
    async with transaction(sessions) as session:
        assert not await insert_alarm(session, alarm(task_id, 1000), T0 + 5)
        assert await insert_alarm(session, alarm(task_id, 2000), T0 + 5)
    async with transaction(sessions) as session:
        stored = list(
            await session.scalars(select(AlarmEvent.id).where(AlarmEvent.task_id == task_id))
        )
    assert len(stored) == 2


async def test_only_the_owner_writes_stream_health_and_it_goes_stale(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    task_id, other_id = await new_task(sessions), await new_task(sessions)
    health = {"source_state": "running", "analysed_per_second": 0.98, "heartbeat_ms": 5000}
    async with transaction(sessions) as session:
        a = StreamLeaseRepository(session, "node-a")
        lease = await a.claim(task_id, T0, TTL)
        other = await a.claim(other_id, T0, TTL)
        assert lease is not None
        assert other is not None
        assert await a.set_state(task_id, lease.epoch, "RUNNING")
        await a.write_health(
            [
                StreamHealthRecord(task_id, lease.epoch, health),
                StreamHealthRecord(other_id, other.epoch + 1, {"source_state": "abnormal"}),
            ],
            T0 + 100,
        )
        # Another node writes nothing:
        await StreamLeaseRepository(session, "node-b").write_health(
            [StreamHealthRecord(task_id, lease.epoch, {"source_state": "abnormal"})], T0 + 200
        )
    async with transaction(sessions) as session:
        row = await stream_of_task(session, PROJECT, task_id)
        assert row is not None
        assert (row.health, row.health_at) == (health, T0 + 100)
        assert await stream_of_task(session, "f" * 32, task_id) is None  # another project's
        unwritten = await stream_of_task(session, PROJECT, other_id)
        assert unwritten is not None
        assert unwritten.health is None
        page, total = await streams_page(session, PROJECT, offset=0, limit=100)
        assert task_id in {r.task_id for r in page}
        assert total >= 2
    current = stream_view(row, T0 + 1000)
    assert (current.state, current.stale, current.analysed_per_second) == ("RUNNING", False, 0.98)
    assert current.node == "node-a"
    assert current.source_state == "running"
    # Three heartbeats without a write (or an expired lease): stale, without numbers.
    silent = stream_view(row, T0 + 100 + 3 * 5000 + 1)
    assert (silent.state, silent.stale, silent.analysed_per_second) == ("RUNNING", True, None)
