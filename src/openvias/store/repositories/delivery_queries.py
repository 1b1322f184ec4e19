"""Reads and the one write of the delivery API (openvias extension): list and show
deliveries with their attempts, count them per state, put a dead one back in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import Delivery, DeliveryAttempt

STATES = ("pending", "delivered", "dead")


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Every given field must match."""

    event_id: str | None = None
    task_id: str | None = None
    sink: str | None = None
    state: str | None = None


def _filtered(
    project_id: str, f: DeliveryFilter, *columns: Any, with_state: bool = True
) -> Select[Any]:
    stmt = select(*columns).select_from(Delivery).where(Delivery.project_id == project_id)
    if f.event_id is not None:
        stmt = stmt.where(Delivery.event_id == f.event_id)
    if f.task_id is not None:
        stmt = stmt.where(Delivery.task_id == f.task_id)
    if f.sink is not None:
        stmt = stmt.where(Delivery.sink == f.sink)
    if with_state and f.state is not None:
        stmt = stmt.where(Delivery.state == f.state)
    return stmt


async def list_deliveries(
    session: AsyncSession, project_id: str, f: DeliveryFilter, *, offset: int, limit: int
) -> tuple[list[Delivery], int]:
    """One page of the project's matching deliveries, newest first, and their total."""
    total = int(await session.scalar(_filtered(project_id, f, func.count())) or 0)
    rows = await session.scalars(
        _filtered(project_id, f, Delivery)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def get_delivery(session: AsyncSession, project_id: str, delivery_id: int) -> Delivery | None:
    return (
        await session.scalars(
            select(Delivery).where(Delivery.project_id == project_id, Delivery.id == delivery_id)
        )
    ).first()


async def attempts_of(
    session: AsyncSession, delivery_ids: list[int]
) -> dict[int, list[DeliveryAttempt]]:
    """The attempts of each delivery, oldest first."""
    found: dict[int, list[DeliveryAttempt]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    rows = await session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
        .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.attempt)
    )
    for attempt in rows:
        found[attempt.delivery_id].append(attempt)
    return found


@dataclass(frozen=True, slots=True)
class Summary:
    """Deliveries matching a filter (whatever its ``state``), per state, and the latest
    failed attempt among them."""

    counts: dict[str, int]
    last_error: str | None
    last_error_at: int | None
    last_error_delivery_id: int | None


async def summary(session: AsyncSession, project_id: str, f: DeliveryFilter) -> Summary:
    counts = dict.fromkeys(STATES, 0)
    rows = await session.execute(
        _filtered(project_id, f, Delivery.state, func.count(), with_state=False).group_by(
            Delivery.state
        )
    )
    for state, count in rows:
        counts[str(state)] = int(count)
    failed = (
        await session.execute(
            _filtered(
                project_id,
                f,
                Delivery.last_error,
                Delivery.last_failed_at,
                Delivery.id,
                with_state=False,
            )
            .where(Delivery.last_failed_at.is_not(None))
            .order_by(Delivery.last_failed_at.desc(), Delivery.id.desc())
            .limit(1)
        )
    ).first()
    if failed is None:
        return Summary(counts, None, None, None)
    error = None if failed[0] is None else str(failed[0])
    return Summary(counts, error, int(failed[1]), int(failed[2]))


async def retry_dead(session: AsyncSession, project_id: str, delivery_id: int, now: int) -> bool:
    """Put a dead delivery back in the queue, due now, with its attempt count reset; False
    when it is not dead (its attempts so far stay recorded)."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.project_id == project_id,
            Delivery.id == delivery_id,
            Delivery.state == "dead",
        )
        .values(
            state="pending",
            attempts=0,
            next_attempt_at=now,
            locked_until=0,
            locked_by=None,
        )
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


@dataclass(frozen=True, slots=True)
class TaskDeliveryTrouble:
    """A task's deliveries that are not getting through: dead ones, pending ones that
    failed at least once, and the last error of the newest of them."""

    dead: int
    retrying: int
    last_error: str | None


async def task_delivery_trouble(session: AsyncSession, task_id: str) -> TaskDeliveryTrouble:
    """Read on ShowTaskInfo; uses the ``(task_id, state)`` index."""
    troubled = (Delivery.state == "dead") | (
        (Delivery.state == "pending") & (Delivery.attempts > 0)
    )
    counts = dict.fromkeys(STATES, 0)
    rows = await session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.task_id == task_id, troubled)
        .group_by(Delivery.state)
    )
    for state, count in rows:
        counts[str(state)] = int(count)
    last_error = None
    if counts["dead"] or counts["pending"]:
        last_error = await session.scalar(
            select(Delivery.last_error)
            .where(Delivery.task_id == task_id, troubled, Delivery.last_error.is_not(None))
            .order_by(Delivery.id.desc())
            .limit(1)
        )
    return TaskDeliveryTrouble(counts["dead"], counts["pending"], last_error)
