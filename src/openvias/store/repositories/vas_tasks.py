"""The task list of the VAS legacy API (ListTasksDetails): one service's tasks, filtered by
version, state, name, id and creation time, sorted by name or time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import asc, desc, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import Task


@dataclass(frozen=True, slots=True)
class ServiceTaskQuery:
    service_name: str
    service_version: str | None = None
    states: Sequence[str] = ()
    name_like: str | None = None
    id_like: str | None = None
    #: Inclusive bounds of ``created_at``, epoch milliseconds.
    created_since: int | None = None
    created_until: int | None = None
    sort: Literal["name", "created_at", "updated_at"] = "created_at"
    descending: bool = True


async def page_service_tasks(
    session: AsyncSession, project_id: str, q: ServiceTaskQuery, *, limit: int, offset: int
) -> tuple[list[Task], int]:
    """One page of matching tasks and the number of all matching tasks."""
    stmt = select(Task).where(Task.project_id == project_id, Task.service_name == q.service_name)
    if q.service_version is not None:
        stmt = stmt.where(Task.service_version == q.service_version)
    if q.states:
        stmt = stmt.where(Task.state.in_(list(q.states)))
    if q.name_like:
        stmt = stmt.where(Task.name.contains(q.name_like, autoescape=True))
    if q.id_like:
        stmt = stmt.where(Task.id.contains(q.id_like, autoescape=True))
    if q.created_since is not None:
        stmt = stmt.where(Task.created_at >= q.created_since)
    if q.created_until is not None:
        stmt = stmt.where(Task.created_at <= q.created_until)
    counted = stmt.with_only_columns(func.count(Task.id)).order_by(None)
    total = int(await session.scalar(counted) or 0)
    order = desc if q.descending else asc
    column = {"name": Task.name, "created_at": Task.created_at, "updated_at": Task.updated_at}
    rows = await session.scalars(
        stmt.order_by(order(column[q.sort]), order(Task.id)).limit(limit).offset(offset)
    )
    return list(rows), total
