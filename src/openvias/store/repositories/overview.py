"""The Overview's counts (openvias extension): grouped ``COUNT``s, one statement per table,
so that the console's first page costs a few index scans instead of thirty list calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import AlarmEvent, Task


async def task_state_counts(session: AsyncSession, project_id: str) -> dict[str, int]:
    """The project's tasks per VIAS state (``ix_tasks_project_state_created_id``)."""
    rows = await session.execute(
        select(Task.state, func.count()).where(Task.project_id == project_id).group_by(Task.state)
    )
    return {str(state): int(n) for state, n in rows}


async def newest_task_names(
    session: AsyncSession, project_id: str, states: Sequence[str], per_state: int
) -> dict[str, list[str]]:
    """The names of the newest ``per_state`` tasks in each of ``states`` (ListTasks' order:
    ``created_at``, then id, descending)."""
    if not states:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=Task.state, order_by=(Task.created_at.desc(), Task.id.desc()))
        .label("rank")
    )
    ranked = (
        select(Task.state, Task.name, Task.created_at, Task.id, rank)
        .where(Task.project_id == project_id, Task.state.in_(list(states)))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.state, ranked.c.name)
        .where(ranked.c.rank <= per_state)
        .order_by(ranked.c.state, ranked.c.rank)
    )
    names: dict[str, list[str]] = {}
    for state, name in rows:
        names.setdefault(str(state), []).append(str(name))
    return names


@dataclass(frozen=True, slots=True)
class ServiceAlarmCounts:
    service_name: str
    today: int
    week: int
    pending_review_week: int


async def alarm_counts(
    session: AsyncSession, project_id: str, today_start: int, week_start: int
) -> list[ServiceAlarmCounts]:
    """Primary alarms per service since ``today_start`` and since ``week_start`` (epoch
    seconds of the alarm time, as ListEvents' ``start_time``), and the week's alarms still
    to review; services without alarms this week are left out. Reads
    ``ix_alarm_events_project_time`` alone."""
    since = min(today_start, week_start)

    def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

    rows = await session.execute(
        select(
            AlarmEvent.service_name,
            counted(AlarmEvent.timestamp >= today_start),
            counted(AlarmEvent.timestamp >= week_start),
            counted((AlarmEvent.timestamp >= week_start) & (AlarmEvent.review_state == "pending")),
        )
        .where(
            AlarmEvent.project_id == project_id,
            AlarmEvent.timestamp >= since,
            AlarmEvent.primary_id.is_(None),
        )
        .group_by(AlarmEvent.service_name)
        .order_by(AlarmEvent.service_name)
    )
    found = [
        ServiceAlarmCounts(str(name), int(today), int(week), int(review))
        for name, today, week, review in rows
    ]
    return [row for row in found if row.week]
