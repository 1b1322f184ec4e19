"""The delivery worker in-process, on a real migrated database of each backend, with a
sink that records what it is given: several workers share the table without delivering a
row twice, and a shutdown gives back the leases of what it could not finish."""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.domain.alarms import Alarm
from openvias.domain.clock import now_ms
from openvias.services import doorbell
from openvias.services.bootstrap import bootstrap_if_empty
from openvias.settings import Settings
from openvias.sinks.base import Outcome
from openvias.sinks.worker import DeliveryWorker, WorkerTimings
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.migrate import upgrade_to_head
from openvias.store.models import Delivery, DeliveryAttempt
from openvias.store.repositories.alarm_events import insert_alarm
from openvias.store.repositories.deliveries import AttemptResult, enqueue_deliveries, lease, record
from tests.db_support import fresh_database
from tests.sinks.delivery_support import make_alarm, new_task_id
from tests.support import ADMIN_PASSWORD


class RecordingSink:
    kind = "webhook"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: Counter[str] = Counter()
        self.started = asyncio.Event()

    async def deliver(self, alarm: Alarm, target: Mapping[str, Any]) -> Outcome:
        self.calls[alarm.message_id] += 1
        self.started.set()
        await asyncio.sleep(self.delay)
        return Outcome.ok("recorded", status_code=200)

    async def close(self) -> None:
        pass


@dataclass
class Db:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    project_id: str

    async def seed(self, count: int) -> list[Alarm]:
        task = new_task_id()
        alarms = [make_alarm(self.project_id, task, 1000 * (i + 1)) for i in range(count)]
        async with transaction(self.sessionmaker) as session:
            for alarm in alarms:
                now = now_ms()
                await insert_alarm(session, alarm, now)
                await enqueue_deliveries(
                    session, alarm, {"webhook": {"url": "http://x.invalid/", "headers": {}}}, now
                )
        return alarms

    async def states(self) -> Counter[str]:
        async with self.sessionmaker() as session:
            rows = await session.execute(select(Delivery.state, Delivery.locked_by))
            return Counter(f"{state}/{'leased' if by else 'free'}" for state, by in rows)

    async def until_delivered(self, count: int, seconds: float) -> None:
        async with asyncio.timeout(seconds):
            while True:
                if (await self.states())["delivered/free"] >= count:
                    return
                await asyncio.sleep(0.1)

    async def attempts(self) -> int:
        async with self.sessionmaker() as session:
            return len(list(await session.scalars(select(DeliveryAttempt.delivery_id))))


@pytest.fixture
async def db(backend: str) -> AsyncIterator[Db]:
    with tempfile.TemporaryDirectory(prefix="openvias-worker-") as tmp:
        async with fresh_database(backend, Path(tmp)) as url:
            settings = Settings(data_dir=Path(tmp), database_url=url)
            engine = create_engine(url)
            try:
                await upgrade_to_head(engine)
                sessionmaker = create_sessionmaker(engine)
                async with transaction(sessionmaker) as session:
                    await bootstrap_if_empty(session, ADMIN_PASSWORD, Path(tmp))
                async with sessionmaker() as session:
                    project_id = str(
                        (await session.execute(text("SELECT id FROM projects"))).scalar_one()
                    )
                yield Db(settings, sessionmaker, project_id)
            finally:
                await engine.dispose()


async def test_workers_share_the_table_without_duplicates(db: Db) -> None:
    alarms = await db.seed(300)
    sink = RecordingSink(delay=0.005)
    workers = [
        DeliveryWorker(db.settings, db.sessionmaker, sinks={"webhook": sink}, name=f"w{i}")
        for i in range(3)
    ]
    runs = [asyncio.create_task(w.run()) for w in workers]
    try:
        await db.until_delivered(len(alarms), 60)
    finally:
        for worker in workers:
            await worker.shutdown()
        for run in runs:
            run.cancel()
    assert set(sink.calls) == {a.message_id for a in alarms}
    assert max(sink.calls.values()) == 1  # no crash, no lost lease: exactly once
    assert await db.attempts() == len(alarms)


async def test_shutdown_gives_back_what_it_could_not_finish(db: Db) -> None:
    await db.seed(40)
    sink = RecordingSink(delay=30.0)  # never finishes within the grace
    worker = DeliveryWorker(
        db.settings,
        db.sessionmaker,
        sinks={"webhook": sink},
        name="slow",
        timings=WorkerTimings(grace=0.2),
        per_target=10,
    )
    run = asyncio.create_task(worker.run())
    await asyncio.wait_for(sink.started.wait(), 30)
    await asyncio.sleep(0.3)
    assert (await db.states())["pending/leased"] == 10
    await worker.shutdown()
    run.cancel()
    assert await db.states() == Counter({"pending/free": 40})
    assert await db.attempts() == 0  # cut short: not an attempt

    # A fresh worker of the same name after a crash takes its old leases back at once.
    async with transaction(db.sessionmaker) as session:
        await session.execute(
            Delivery.__table__.update().values(locked_by="again", locked_until=now_ms() + 60_000)
        )
    again = DeliveryWorker(
        db.settings, db.sessionmaker, sinks={"webhook": RecordingSink()}, name="again"
    )
    run = asyncio.create_task(again.run())
    try:
        await db.until_delivered(40, 30)
    finally:
        await again.shutdown()
        run.cancel()


async def test_the_doorbell_wakes_the_worker_at_once(db: Db) -> None:
    """With a poll period of a minute, only the engine's doorbell can get an alarm out."""
    sink = RecordingSink()
    worker = DeliveryWorker(
        db.settings,
        db.sessionmaker,
        sinks={"webhook": sink},
        name="bell",
        timings=WorkerTimings(poll=60.0),
    )
    run = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.5)  # the worker's first claim found nothing; it sleeps now
        [alarm] = await db.seed(1)
        doorbell.ring(doorbell.DELIVERIES)
        await db.until_delivered(1, 10)
        assert list(sink.calls) == [alarm.message_id]
    finally:
        await worker.shutdown()
        run.cancel()


async def test_two_attempts_of_one_delivery_in_one_batch_are_both_recorded(db: Db) -> None:
    """Results kept while the database was away for longer than a lease may hold two
    attempts of the same delivery: both go into its history, numbered in order."""
    await db.seed(1)
    async with transaction(db.sessionmaker) as session:
        ids = list(await session.scalars(select(Delivery.id)))
        [leased] = await lease(session, ids, "w", now_ms(), 60_000)
    t0 = now_ms()

    def attempt(before: int, started: int, outcome: str) -> AttemptResult:
        return AttemptResult(
            delivery_id=leased.id,
            attempts_before=before,
            started_at=started,
            duration_ms=5,
            outcome=outcome,
            status_code=503 if outcome == "retry" else 200,
            detail=outcome,
            next_attempt_at=started + 10,
            finished_at=started + 5,
        )

    async with transaction(db.sessionmaker) as session:
        await record(session, [attempt(1, t0 + 100, "delivered"), attempt(0, t0, "retry")], "w")
    async with db.sessionmaker() as session:
        history = (
            await session.execute(
                select(DeliveryAttempt.attempt, DeliveryAttempt.outcome)
                .where(DeliveryAttempt.delivery_id == leased.id)
                .order_by(DeliveryAttempt.attempt)
            )
        ).all()
        row = await session.get(Delivery, leased.id)
    assert [tuple(h) for h in history] == [(1, "retry"), (2, "delivered")]
    assert row is not None
    assert (row.state, row.attempts) == ("pending", 1)  # the fence let the first one in only
