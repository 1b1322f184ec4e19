"""Queries over tasks, batch tasks and the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    and_,
    asc,
    bindparam,
    delete,
    desc,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import (
    BatchTask,
    BatchTaskGroup,
    OutboxMessage,
    Task,
    VideoGroup,
    VideoGroupMember,
    VideoSource,
)

#: The tasks table, for Core statements over many rows (no ORM bookkeeping per row).
_TASKS = cast(Table, Task.__table__)


@dataclass(frozen=True, slots=True)
class TaskFilter:
    states: Sequence[str] = ()
    name_like: str | None = None
    camera_name_like: str | None = None
    batch_id: str | None = None
    group_ids: Sequence[str] = ()
    service_names: Sequence[str] | None = None
    descending: bool = True


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str, task_id: str) -> Task | None:
        return await self.session.scalar(
            select(Task).where(Task.project_id == project_id, Task.id == task_id)
        )

    async def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """One executemany on the table; every row has the same keys. (The ORM's bulk insert
        would spend a third more CPU on bookkeeping: 10,000 rows are one batch task.)"""
        if rows:
            await self.session.execute(insert(_TASKS), rows)

    def _filtered(self, project_id: str, f: TaskFilter, *columns: Any) -> Select[*tuple[Any, ...]]:
        """``columns`` over the tasks that match ``f``."""
        stmt = select(*columns).select_from(Task).where(Task.project_id == project_id)
        if f.states:
            stmt = stmt.where(Task.state.in_(list(f.states)))
        if f.name_like:
            stmt = stmt.where(Task.name.contains(f.name_like, autoescape=True))
        if f.camera_name_like:
            stmt = stmt.join(VideoSource, VideoSource.id == Task.video_source_id).where(
                VideoSource.name.contains(f.camera_name_like, autoescape=True)
            )
        if f.batch_id:
            stmt = stmt.where(Task.batch_id == f.batch_id)
        if f.service_names is not None:
            stmt = stmt.where(Task.service_name.in_(list(f.service_names)))
        if f.group_ids:
            members = select(VideoGroupMember.source_id).where(
                VideoGroupMember.group_id.in_(list(f.group_ids))
            )
            stmt = stmt.where(Task.video_source_id.in_(members))
        return stmt

    async def page(
        self, project_id: str, f: TaskFilter, *, limit: int, offset: int
    ) -> tuple[list[tuple[Task, str | None]], int]:
        """One page of the matching tasks, newest first unless ``f.descending`` is False.

        The page's ids are chosen first, over (created_at, id) alone, so that skipping
        ``offset`` tasks never reads their rows nor joins their sources; then only those
        ``limit`` rows are read. ``count(*)`` lets the count use an index alone."""
        total = int(await self.session.scalar(self._filtered(project_id, f, func.count())) or 0)
        order = desc if f.descending else asc
        ordering = (order(Task.created_at), order(Task.id))
        page_ids = (
            self._filtered(project_id, f, Task.id.label("page_id"))
            .order_by(*ordering)
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        rows = await self.session.execute(
            select(Task, VideoSource.name)
            .join(page_ids, page_ids.c.page_id == Task.id)
            .outerjoin(VideoSource, VideoSource.id == Task.video_source_id)
            .order_by(*ordering)
        )
        return [(task, name) for task, name in rows], total

    async def count_active_with_order(
        self,
        order_id: str,
        active_states: Iterable[str],
        *,
        except_batch_id: str | None = None,
    ) -> int:
        """Active tasks that use ``order_id``: single tasks naming it, and the members of the
        batch tasks naming it (members inherit the order); without ``except_batch_id``'s."""
        batches = select(BatchTask.id).where(BatchTask.resource_order_id == order_id)
        stmt = select(func.count(Task.id)).where(
            Task.state.in_(list(active_states)),
            or_(
                Task.resource_order_id == order_id,
                and_(Task.resource_order_id.is_(None), Task.batch_id.in_(batches)),
            ),
        )
        if except_batch_id is not None:
            stmt = stmt.where(or_(Task.batch_id.is_(None), Task.batch_id != except_batch_id))
        return int(await self.session.scalar(stmt) or 0)

    async def group_names_of_source(self, source_id: str) -> list[str]:
        rows = await self.session.scalars(
            select(VideoGroup.name)
            .join(VideoGroupMember, VideoGroupMember.group_id == VideoGroup.id)
            .where(VideoGroupMember.source_id == source_id)
            .order_by(VideoGroup.name)
        )
        return list(rows)

    async def delete(self, task: Task) -> None:
        await self.session.delete(task)
        await self.session.flush()

    # -- batch members ---------------------------------------------------------------
    async def member_state_counts(self, batch_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {bid: {} for bid in batch_ids}
        if not batch_ids:
            return result
        rows = await self.session.execute(
            select(Task.batch_id, Task.state, func.count(Task.id))
            .where(Task.batch_id.in_(list(batch_ids)))
            .group_by(Task.batch_id, Task.state)
        )
        for batch_id, state, n in rows:
            if batch_id is not None:
                result[batch_id][state] = n
        return result

    async def members(self, batch_id: str) -> list[tuple[str, str, str | None, str]]:
        """(task id, video source id, target_roi, state) of every member task."""
        rows = await self.session.execute(
            select(Task.id, Task.video_source_id, Task.target_roi, Task.state).where(
                Task.batch_id == batch_id
            )
        )
        return [(tid, sid or "", roi, state) for tid, sid, roi, state in rows]

    async def set_member_states(
        self, batch_id: str, from_states: Iterable[str], state: str, desired: str, now: int
    ) -> int:
        result = await self.session.execute(
            update(Task)
            .where(Task.batch_id == batch_id, Task.state.in_(list(from_states)))
            .values(state=state, desired_state=desired, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def update_members(self, batch_id: str, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(Task)
            .where(Task.batch_id == batch_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def update_member_rois(self, changes: Sequence[tuple[str, str | None]], now: int) -> None:
        """Every change in one executemany (not one round trip per task)."""
        if not changes:
            return
        await self.session.execute(
            update(_TASKS)
            .where(_TASKS.c.id == bindparam("task_id"))
            .values(target_roi=bindparam("roi"), updated_at=now),
            [{"task_id": task_id, "roi": roi} for task_id, roi in changes],
        )

    async def delete_members(self, batch_id: str) -> None:
        await self.session.execute(
            delete(Task)
            .where(Task.batch_id == batch_id)
            .execution_options(synchronize_session=False)
        )

    async def delete_tasks(self, task_ids: Sequence[str]) -> None:
        for start in range(0, len(task_ids), 500):
            chunk = list(task_ids[start : start + 500])
            await self.session.execute(
                delete(Task).where(Task.id.in_(chunk)).execution_options(synchronize_session=False)
            )


class BatchTaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str, batch_id: str) -> BatchTask | None:
        return await self.session.scalar(
            select(BatchTask).where(BatchTask.project_id == project_id, BatchTask.id == batch_id)
        )

    async def lock(self, project_id: str, batch_id: str) -> bool:
        """Take the write lock on one batch task before reading it (see BatchTask.revision)."""
        result = await self.session.execute(
            update(BatchTask)
            .where(BatchTask.project_id == project_id, BatchTask.id == batch_id)
            .values(revision=BatchTask.revision + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def name_taken(self, project_id: str, name: str, except_id: str | None = None) -> bool:
        stmt = select(BatchTask.id).where(
            BatchTask.project_id == project_id, BatchTask.name == name
        )
        if except_id is not None:
            stmt = stmt.where(BatchTask.id != except_id)
        return await self.session.scalar(stmt.limit(1)) is not None

    async def set_groups(self, batch_id: str, group_ids: Sequence[str]) -> None:
        await self.session.execute(
            delete(BatchTaskGroup).where(BatchTaskGroup.batch_id == batch_id)
        )
        rows = [
            {"batch_id": batch_id, "group_id": gid, "position": i}
            for i, gid in enumerate(dict.fromkeys(group_ids))
        ]
        if rows:
            await self.session.execute(insert(BatchTaskGroup), rows)

    async def group_names(self, batch_ids: Sequence[str]) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {bid: [] for bid in batch_ids}
        if not batch_ids:
            return result
        rows = await self.session.execute(
            select(BatchTaskGroup.batch_id, VideoGroup.name)
            .join(VideoGroup, VideoGroup.id == BatchTaskGroup.group_id)
            .where(BatchTaskGroup.batch_id.in_(list(batch_ids)))
            .order_by(BatchTaskGroup.position)
        )
        for batch_id, name in rows:
            result[batch_id].append(name)
        return result

    async def count_for_groups(self, group_ids: Sequence[str]) -> dict[str, int]:
        result = dict.fromkeys(group_ids, 0)
        if not group_ids:
            return result
        rows = await self.session.execute(
            select(BatchTaskGroup.group_id, func.count(BatchTaskGroup.batch_id))
            .where(BatchTaskGroup.group_id.in_(list(group_ids)))
            .group_by(BatchTaskGroup.group_id)
        )
        for group_id, n in rows:
            result[group_id] = n
        return result

    def listing(
        self,
        project_id: str,
        *,
        name_like: str | None,
        service_names: Sequence[str] | None,
        group_names: Sequence[str],
        states: Sequence[str],
    ) -> Select[BatchTask]:
        stmt = select(BatchTask).where(BatchTask.project_id == project_id)
        if name_like:
            stmt = stmt.where(BatchTask.name.contains(name_like, autoescape=True))
        if service_names is not None:
            stmt = stmt.where(BatchTask.service_name.in_(list(service_names)))
        if group_names:
            in_groups = (
                select(BatchTaskGroup.batch_id)
                .join(VideoGroup, VideoGroup.id == BatchTaskGroup.group_id)
                .where(
                    VideoGroup.name.in_(list(group_names)) | VideoGroup.id.in_(list(group_names))
                )
            )
            stmt = stmt.where(BatchTask.id.in_(in_groups))
        if states:
            with_state = select(Task.batch_id).where(
                and_(Task.batch_id.is_not(None), Task.state.in_(list(states)))
            )
            stmt = stmt.where(BatchTask.id.in_(with_state))
        return stmt

    async def page(
        self,
        stmt: Select[BatchTask],
        *,
        sort: str,
        descending: bool,
        limit: int | None,
        offset: int,
    ) -> tuple[list[BatchTask], int]:
        total = int(
            await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        )
        order = desc if descending else asc
        if sort == "task_count":
            size = (
                select(func.count(Task.id))
                .where(Task.batch_id == BatchTask.id)
                .correlate(BatchTask)
                .scalar_subquery()
            )
            stmt = stmt.order_by(order(size))
        stmt = stmt.order_by(order(BatchTask.created_at), order(BatchTask.id)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(await self.session.scalars(stmt)), total


async def enqueue(
    session: AsyncSession, topic: str, key: str, payload: dict[str, Any], now: int
) -> None:
    """Write one outbox message in the caller's transaction (delivered after commit)."""
    await session.execute(
        insert(OutboxMessage).values(
            topic=topic, key=key, payload=payload, created_at=now, available_at=now, attempts=0
        )
    )
