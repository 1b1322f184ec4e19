"""The scheduler: tasks with a weekly schedule analyse only inside their windows.

Every ``tick`` seconds it evaluates each schedule in use (a batch's, shared by its members,
or a task's own) at the current instant: inside a window, tasks waiting in ``SCHEDULING``
move to ``STARTING`` (the engine then claims and starts them, a new run per window);
outside, analysing tasks move to ``SCHEDULING`` (the engine stops their streams). Both are
conditional updates (on PostgreSQL a second writer waits for the first and then finds the
state already changed), so a pass repeated after a restart, or overlapping another
replica's at a leader handover, changes nothing twice. It runs in the leader of the API
replicas only (``services/leadership.py``): replicas whose clocks differ would otherwise
disagree at a window's edge and start and stop its tasks in turn. A schedule that cannot
be parsed (stored before a rule tightened, say) is logged and leaves its tasks as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.domain.schedules import ScheduleError, WeeklySchedule
from openvias.store.db import transaction
from openvias.store.repositories.schedules import ScheduleRepository

log = logging.getLogger(__name__)


@lru_cache(maxsize=4096)
def _parsed(document: str) -> WeeklySchedule | None:
    try:
        return WeeklySchedule.from_wire(json.loads(document))
    except ScheduleError as exc:
        log.warning("ignoring an unusable schedule (%s): %s", exc, document)
        return None


def schedule_of(value: dict[str, Any]) -> WeeklySchedule | None:
    return _parsed(json.dumps(value, sort_keys=True))


def active_now(schedule: dict[str, Any] | None, moment: datetime | None = None) -> bool:
    """Whether a stored schedule lets its task analyse now (no schedule: always)."""
    if not schedule:
        return True
    parsed = schedule_of(schedule)
    return True if parsed is None else parsed.is_active(moment or datetime.now(UTC))


class Scheduler:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], tick: float = 1.0) -> None:
        self.sessionmaker = sessionmaker
        self.tick = tick
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.apply(datetime.now(UTC))
            except Exception:
                log.exception("scheduler pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.tick)

    async def shutdown(self) -> None:
        self._stopping.set()

    async def apply(self, moment: datetime) -> tuple[int, int]:
        """One pass at ``moment``; returns (tasks started, tasks put to wait)."""
        async with transaction(self.sessionmaker) as session:
            repository = ScheduleRepository(session)
            batches = await repository.scheduled_batches()
            tasks = await repository.scheduled_tasks()
            opening: dict[str, list[str]] = {"batch": [], "task": []}
            closing: dict[str, list[str]] = {"batch": [], "task": []}
            for kind, entries in (("batch", batches), ("task", tasks)):
                for entity_id, schedule in entries:
                    parsed = schedule_of(schedule)
                    if parsed is None:
                        continue
                    (opening if parsed.is_active(moment) else closing)[kind].append(entity_id)
            started = await repository.open_window(
                batch_ids=opening["batch"], task_ids=opening["task"]
            )
            waiting = await repository.close_window(
                batch_ids=closing["batch"], task_ids=closing["task"]
            )
        if started or waiting:
            log.info("schedules: %d task(s) started, %d waiting for a window", started, waiting)
        return started, waiting


class _AppResources(Protocol):
    sessionmaker: async_sessionmaker[AsyncSession]


def embedded_scheduler(app: _AppResources) -> Scheduler:
    """The scheduler of ``openvias serve`` (a background service of the API process)."""
    return Scheduler(app.sessionmaker)
