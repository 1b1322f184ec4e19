"""The scheduler on real SQLite and PostgreSQL: windows open and close tasks, batch members
follow their batch's schedule, and repeated or concurrent passes change nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.services.scheduler import Scheduler
from openvias.store.db import transaction
from openvias.store.models import BatchTask, Task
from tests.db_support import ensure_project, migrated

PROJECT = "0" * 31 + "2"
#: Mondays 08:00-12:00 in Berlin (UTC+1 in January).
OFFICE_HOURS = {
    "type": "weekly",
    "timezone": "Europe/Berlin",
    "days_of_week": [1],
    "periods": [[{"begin_at": "08:00:00", "end_at": "12:00:00"}]],
}
MONDAY_09_BERLIN = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
MONDAY_13_BERLIN = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with migrated(database_url) as (_, maker):
        await ensure_project(maker, PROJECT, "sched")
        async with transaction(maker) as session:
            # Each test sees only its own tasks.
            for task in await session.scalars(select(Task).where(Task.project_id == PROJECT)):
                task.desired_state = "stopped"
        yield maker


def task_row(state: str, schedule: dict[str, Any] | None, batch_id: str | None = None) -> Task:
    task_id = uuid.uuid4().hex
    return Task(
        id=task_id,
        project_id=PROJECT,
        batch_id=batch_id,
        name=task_id,
        service_name="c-smoke-and-fire-cloud",
        service_version="3.0",
        input_type="url",
        input={"type": "url", "data": [{"url": "rtsp://camera/1"}]},
        schedule=schedule,
        state=state,
        desired_state="running",
        created_at=1,
        updated_at=1,
    )


async def states(maker: async_sessionmaker[AsyncSession], *ids: str) -> list[str]:
    async with transaction(maker) as session:
        rows = dict(
            (await session.execute(select(Task.id, Task.state).where(Task.id.in_(ids)))).all()
        )
    return [rows[task_id] for task_id in ids]


async def test_windows_start_and_stop_tasks(sessions: async_sessionmaker[AsyncSession]) -> None:
    running, waiting, plain = (
        task_row("RUNNING", OFFICE_HOURS),
        task_row("SCHEDULING", OFFICE_HOURS),
        task_row("RUNNING", None),
    )
    async with transaction(sessions) as session:
        session.add_all([running, waiting, plain])
    scheduler = Scheduler(sessions)
    await scheduler.apply(MONDAY_09_BERLIN)
    assert await states(sessions, running.id, waiting.id, plain.id) == [
        "RUNNING",
        "STARTING",
        "RUNNING",
    ]
    await scheduler.apply(MONDAY_13_BERLIN)
    assert await states(sessions, running.id, waiting.id, plain.id) == [
        "SCHEDULING",
        "SCHEDULING",
        "RUNNING",
    ]
    # Idempotent: a second pass at the same moment changes nothing.
    assert await scheduler.apply(MONDAY_13_BERLIN) == (0, 0)


async def test_members_follow_their_batch(sessions: async_sessionmaker[AsyncSession]) -> None:
    batch_id = uuid.uuid4().hex
    night_only = {**OFFICE_HOURS, "periods": [[{"begin_at": "22:00:00", "end_at": "06:00:00"}]]}
    async with transaction(sessions) as session:
        session.add(
            BatchTask(
                id=batch_id,
                project_id=PROJECT,
                name=batch_id,
                service_name="c-smoke-and-fire-cloud",
                service_version="3.0",
                schedule=OFFICE_HOURS,
                created_at=1,
                updated_at=1,
            )
        )
        await session.flush()
        inherits = task_row("SCHEDULING", None, batch_id)
        own = task_row("SCHEDULING", night_only, batch_id)  # its own schedule wins
        session.add_all([inherits, own])
    await Scheduler(sessions).apply(MONDAY_09_BERLIN)
    assert await states(sessions, inherits.id, own.id) == ["STARTING", "SCHEDULING"]


async def test_concurrent_passes_agree(sessions: async_sessionmaker[AsyncSession]) -> None:
    tasks = [task_row("SCHEDULING", OFFICE_HOURS) for _ in range(20)]
    async with transaction(sessions) as session:
        session.add_all(tasks)
    results = await asyncio.gather(*(Scheduler(sessions).apply(MONDAY_09_BERLIN) for _ in range(3)))
    assert sum(started for started, _ in results) == 20
    assert set(await states(sessions, *(t.id for t in tasks))) == {"STARTING"}
