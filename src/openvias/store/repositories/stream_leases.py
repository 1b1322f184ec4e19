"""The engine's SQL: leases on tasks, epoch-checked task states, checkpoints.

Every decision about expiry uses the caller's ``now`` (epoch ms); every write an owner makes
about a task it runs is conditional on still holding the lease at the epoch it claimed, so
a stale owner changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import BatchTask, OutboxMessage, StreamLease, Task, VideoSource

#: States in which a task wants analysing (SCHEDULING waits for its window).
WANTS_RUNNING = ("PENDING", "STARTING", "RUNNING", "ABNORMAL", "RECOVERING")
#: Of those, the states a user start leaves: claiming from them begins a new run.
FRESH_START = ("PENDING", "STARTING")


@dataclass(frozen=True, slots=True)
class Lease:
    task_id: str
    epoch: int
    run: int
    position_ms: int


@dataclass(frozen=True, slots=True)
class StreamHealthRecord:
    task_id: str
    epoch: int
    health: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    desired_state: str
    state: str
    #: Changes whenever the task's effective configuration does (its batch's included).
    revision: int


class StreamLeaseRepository:
    def __init__(self, session: AsyncSession, owner: str) -> None:
        self.session = session
        self.owner = owner

    async def claimable(
        self,
        now: int,
        exclude: Collection[str],
        limit: int,
        pool: ColumnElement[bool] | None = None,
    ) -> list[str]:
        """Tasks that want running and that nobody else holds, oldest first; ``pool`` keeps
        the tasks of this owner's pool (``repositories.workers.pool_tasks``)."""
        if limit <= 0:
            return []
        free = or_(
            StreamLease.task_id.is_(None),
            StreamLease.owner.is_(None),
            StreamLease.owner == self.owner,
            StreamLease.expires_at < now,
        )
        stmt = (
            select(Task.id)
            .outerjoin(StreamLease, StreamLease.task_id == Task.id)
            .where(Task.desired_state == "running", Task.state.in_(WANTS_RUNNING), free)
            .where(pool if pool is not None else true())
            .order_by(Task.created_at, Task.id)
            .limit(limit + len(exclude))
        )
        ids = [task_id for task_id in await self.session.scalars(stmt) if task_id not in exclude]
        return ids[:limit]

    async def claim(self, task_id: str, now: int, ttl_ms: int) -> Lease | None:
        """Take the lease (compare-and-set on its epoch); None when someone else holds it or
        the task no longer wants running. A claim from a fresh user start begins a new run."""
        task = (
            await self.session.execute(
                select(Task.state, Task.desired_state).where(Task.id == task_id)
            )
        ).one_or_none()
        if task is None or task.desired_state != "running" or task.state not in WANTS_RUNNING:
            return None
        await self._insert_missing(task_id, now)
        current = await self.session.get(StreamLease, task_id, populate_existing=True)
        if current is None:
            return None
        if current.owner not in (None, self.owner) and current.expires_at >= now:
            return None
        fresh = task.state in FRESH_START
        epoch = current.epoch + 1
        run = current.run + 1 if fresh else max(current.run, 1)
        position_ms = 0 if fresh else current.position_ms
        result = await self.session.execute(
            update(StreamLease)
            .where(StreamLease.task_id == task_id, StreamLease.epoch == current.epoch)
            .values(
                owner=self.owner,
                epoch=epoch,
                run=run,
                position_ms=position_ms,
                expires_at=now + ttl_ms,
                updated_at=now,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        if task.state == "PENDING":
            # Conditional: a scheduler may have moved it (to SCHEDULING) since it was read.
            await self.session.execute(
                update(Task)
                .where(Task.id == task_id, Task.state == "PENDING")
                .values(state="STARTING")
            )
        return Lease(task_id, epoch, run, position_ms)

    async def _insert_missing(self, task_id: str, now: int) -> None:
        dialect = self.session.get_bind().dialect.name
        module = postgresql if dialect == "postgresql" else sqlite
        await self.session.execute(
            module.insert(StreamLease)
            .values(
                task_id=task_id,
                owner=None,
                epoch=0,
                run=0,
                expires_at=0,
                position_ms=0,
                attempts=0,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["task_id"])
        )

    async def renew(self, now: int, ttl_ms: int) -> dict[str, int]:
        """Extend every lease this owner holds; returns task id -> epoch still held."""
        await self.session.execute(
            update(StreamLease)
            .where(StreamLease.owner == self.owner)
            .values(expires_at=now + ttl_ms, updated_at=now)
        )
        rows = await self.session.execute(
            select(StreamLease.task_id, StreamLease.epoch).where(StreamLease.owner == self.owner)
        )
        return {task_id: epoch for task_id, epoch in rows}

    async def release(self, task_id: str, epoch: int) -> None:
        await self.session.execute(
            update(StreamLease).where(self._held(task_id, epoch)).values(owner=None, expires_at=0)
        )

    async def holds(self, task_id: str, epoch: int) -> bool:
        """Whether this owner holds the lease at ``epoch``; on PostgreSQL the row stays
        share-locked until the transaction ends, so no claim can take it over between this
        check and the writes that rely on it (an alarm of a fenced owner)."""
        found = await self.session.scalar(
            select(StreamLease.task_id).where(self._held(task_id, epoch)).with_for_update(read=True)
        )
        return found is not None

    async def checkpoint(self, task_id: str, epoch: int, position_ms: int, now: int) -> None:
        await self.session.execute(
            update(StreamLease)
            .where(self._held(task_id, epoch))
            .values(position_ms=position_ms, updated_at=now)
        )

    async def write_health(self, healths: Sequence[StreamHealthRecord], now: int) -> None:
        """Store how the streams this owner runs do, each only at the epoch it holds (one
        statement for all of them)."""
        if not healths:
            return
        # The table, not the ORM class: a list of parameters is then a plain executemany.
        table = cast(Table, StreamLease.__table__)
        statement = (
            update(table)
            .where(
                table.c.task_id == bindparam("lease_task_id"),
                table.c.owner == self.owner,
                table.c.epoch == bindparam("lease_epoch"),
            )
            .values(health=bindparam("lease_health", type_=JSON), health_at=now)
        )
        await self.session.execute(
            statement,
            [
                {"lease_task_id": h.task_id, "lease_epoch": h.epoch, "lease_health": h.health}
                for h in healths
            ],
        )

    async def set_state(
        self,
        task_id: str,
        epoch: int,
        state: str,
        *,
        error: tuple[str, str] | None = None,
        final: bool = False,
    ) -> bool:
        """Report the analysis state, only while the user still wants the task running and
        this owner still holds it. ``final`` (SUCCEEDED/FAILED) also settles the desired
        state, so the task is not claimed again."""
        values: dict[str, object] = {
            "state": state,
            "error_code": error[0] if error else None,
            "error_message": error[1][:512] if error else None,
        }
        if final:
            values["desired_state"] = "stopped"
        result = await self.session.execute(
            update(Task)
            .where(
                Task.id == task_id,
                Task.desired_state == "running",
                Task.state.in_(WANTS_RUNNING),
                exists().where(self._held(task_id, epoch)),
            )
            .values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_source_status(self, source_id: str, status: str) -> None:
        await self.session.execute(
            update(VideoSource)
            .where(VideoSource.id == source_id, VideoSource.status != status)
            .values(status=status)
        )

    async def set_status_note(self, task_id: str, epoch: int, note: str) -> None:
        """The task's free-text ``status``, written only while this owner holds it."""
        await self.session.execute(
            update(Task)
            .where(Task.id == task_id, exists().where(self._held(task_id, epoch)))
            .values(status=note[:4096])
        )

    async def source_unread(self, source_id: str, now: int) -> None:
        """A source is online only while a task reads it: once no live lease of a task on
        it is left, an online source becomes offline (an abnormal one keeps saying why)."""
        still_read = exists().where(
            Task.video_source_id == source_id,
            StreamLease.task_id == Task.id,
            StreamLease.owner.is_not(None),
            StreamLease.expires_at >= now,
        )
        await self.session.execute(
            update(VideoSource)
            .where(VideoSource.id == source_id, VideoSource.status == "online", ~still_read)
            .values(status="offline")
        )

    async def snapshots(self, task_ids: Sequence[str]) -> dict[str, TaskSnapshot]:
        """What the user now wants of the tasks this owner runs (missing = deleted)."""
        if not task_ids:
            return {}
        rows = await self.session.execute(
            select(Task.id, Task.desired_state, Task.state, Task.updated_at, BatchTask.updated_at)
            .outerjoin(BatchTask, BatchTask.id == Task.batch_id)
            .where(Task.id.in_(task_ids))
        )
        return {
            task_id: TaskSnapshot(desired, state, max(updated, batch_updated or 0))
            for task_id, desired, state, updated, batch_updated in rows
        }

    async def consume_outbox(self, topic: str, now: int, limit: int = 1000) -> int:
        """Mark pending messages of ``topic`` processed; returns how many there were.

        The engine reads the database itself, so these messages are wake-up calls only."""
        ids = list(
            await self.session.scalars(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.topic == topic,
                    OutboxMessage.processed_at.is_(None),
                    OutboxMessage.available_at <= now,
                )
                .limit(limit)
            )
        )
        if ids:
            await self.session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(processed_at=now)
            )
            await self.session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.topic == topic,
                    OutboxMessage.processed_at.is_not(None),
                    OutboxMessage.processed_at < now - 24 * 3600 * 1000,
                )
            )
        return len(ids)

    def _held(self, task_id: str, epoch: int) -> ColumnElement[bool]:
        return and_(
            StreamLease.task_id == task_id,
            StreamLease.owner == self.owner,
            StreamLease.epoch == epoch,
        )
