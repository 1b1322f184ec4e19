"""The scheduler's SQL: which running tasks follow a schedule, and conditional state flips.

Every flip is one conditional UPDATE (``SCHEDULING`` → ``STARTING`` when a window opens,
analysing states → ``SCHEDULING`` when it closes), so running the scheduler in several
processes at once, or again after a restart, changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import BatchTask, Task

#: States in which a task analyses (or is about to): a closing window moves them to SCHEDULING.
IN_WINDOW = ("PENDING", "STARTING", "RUNNING", "ABNORMAL", "RECOVERING")


def _has(column: Any) -> ColumnElement[bool]:
    # A JSON column holding None may store SQL NULL or the JSON text 'null'.
    return and_(column.is_not(None), cast(column, String) != "null")


class ScheduleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def scheduled_batches(self) -> list[tuple[str, dict[str, Any]]]:
        """Batches with a schedule and at least one member the user wants running."""
        wanted = (
            select(Task.batch_id)
            .where(Task.batch_id.is_not(None), Task.desired_state == "running")
            .distinct()
        )
        rows = await self.session.execute(
            select(BatchTask.id, BatchTask.schedule).where(
                BatchTask.id.in_(wanted), _has(BatchTask.schedule)
            )
        )
        return [(batch_id, schedule) for batch_id, schedule in rows if schedule]

    async def scheduled_tasks(self) -> list[tuple[str, dict[str, Any]]]:
        """Tasks with their own schedule that the user wants running."""
        rows = await self.session.execute(
            select(Task.id, Task.schedule).where(
                Task.desired_state == "running", _has(Task.schedule)
            )
        )
        return [(task_id, schedule) for task_id, schedule in rows if schedule]

    async def open_window(
        self, *, batch_ids: Sequence[str] = (), task_ids: Sequence[str] = ()
    ) -> int:
        return await self._flip(batch_ids, task_ids, ("SCHEDULING",), "STARTING")

    async def close_window(
        self, *, batch_ids: Sequence[str] = (), task_ids: Sequence[str] = ()
    ) -> int:
        return await self._flip(batch_ids, task_ids, IN_WINDOW, "SCHEDULING")

    async def _flip(
        self,
        batch_ids: Sequence[str],
        task_ids: Sequence[str],
        from_states: Sequence[str],
        to_state: str,
    ) -> int:
        changed = 0
        for column, ids in ((Task.batch_id, batch_ids), (Task.id, task_ids)):
            if not ids:
                continue
            condition = [column.in_(ids), Task.desired_state == "running"]
            if column is Task.batch_id:
                condition.append(~_has(Task.schedule))  # a member's own schedule wins
            result = await self.session.execute(
                update(Task)
                .where(*condition, Task.state.in_(from_states))
                .values(state=to_state, error_code=None, error_message=None)
                .execution_options(synchronize_session=False)
            )
            changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return changed
