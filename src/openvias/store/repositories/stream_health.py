"""Reading the per-stream health the engine writes on its leases (``stream_leases.health``),
with the task it belongs to: one task of a project, or a page of the project's streams."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import StreamLease, Task
from openvias.store.repositories.stream_leases import WANTS_RUNNING

#: Task states in which an engine works on the task's stream (PENDING waits for a slot).
STREAMING_STATES = ("STARTING", "RUNNING", "ABNORMAL", "RECOVERING")


@dataclass(frozen=True, slots=True)
class StreamRow:
    task_id: str
    task_name: str
    service_name: str
    state: str
    desired_state: str
    owner: str | None
    expires_at: int | None
    health: dict[str, Any] | None
    health_at: int | None


def _rows() -> Select[Any]:
    return select(
        Task.id,
        Task.name,
        Task.service_name,
        Task.state,
        Task.desired_state,
        StreamLease.owner,
        StreamLease.expires_at,
        StreamLease.health,
        StreamLease.health_at,
    ).outerjoin(StreamLease, StreamLease.task_id == Task.id)


async def stream_of_task(session: AsyncSession, project_id: str, task_id: str) -> StreamRow | None:
    row = (
        await session.execute(_rows().where(Task.project_id == project_id, Task.id == task_id))
    ).one_or_none()
    return StreamRow(*row) if row is not None else None


async def streams_page(
    session: AsyncSession, project_id: str, *, offset: int, limit: int
) -> tuple[list[StreamRow], int]:
    """The project's tasks that want streaming (those waiting for an engine slot too),
    oldest first, and how many there are."""
    streaming = (
        Task.project_id == project_id,
        Task.desired_state == "running",
        Task.state.in_(WANTS_RUNNING),
    )
    total = await session.scalar(select(func.count()).select_from(Task).where(*streaming))
    rows = await session.execute(
        _rows().where(*streaming).order_by(Task.created_at, Task.id).offset(offset).limit(limit)
    )
    return [StreamRow(*row) for row in rows], int(total or 0)
