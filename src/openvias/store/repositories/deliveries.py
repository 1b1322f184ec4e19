"""Delivery rows: written with their alarm, taken by delivery workers.

The worker side of the outbox (``research/scale-out.md`` §4.2-4.3): a worker takes *due*
rows (``state='pending' AND next_attempt_at <= now AND locked_until < now``) for a short
lease (``locked_until``/``locked_by``), delivers them and records each attempt, conditional
on still holding the lease. The reads of the delivery API are in
:mod:`openvias.store.repositories.delivery_queries`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.alarms import Alarm
from openvias.store.models import AlarmEvent, AlarmImage, Delivery, DeliveryAttempt
from openvias.store.repositories.alarm_events import alarm_of

#: Output kinds delivered by a sink; ``event_center`` needs no delivery (the stored event is
#: the event center's record).
SINK_KINDS = ("webhook", "obs", "dis")
#: The table itself: the worker's statements are Core, not ORM (a hot path).
_T = cast(Table, Delivery.__table__)
_ATTEMPTS = cast(Table, DeliveryAttempt.__table__)
#: Room left in the 1024-character text columns.
_TEXT_MAX = 1000


async def enqueue_deliveries(
    session: AsyncSession, alarm: Alarm, output: Mapping[str, Any], now: int
) -> int:
    """One pending delivery per configured sink output, in the caller's transaction."""
    rows = [
        {
            "event_id": alarm.message_id,
            "project_id": alarm.project_id,
            "task_id": alarm.task_id,
            "sink": kind,
            "target": dict(output[kind]),
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "locked_until": 0,
            "created_at": now,
        }
        for kind in SINK_KINDS
        if isinstance(output.get(kind), Mapping)
    ]
    if rows:
        await session.execute(insert(Delivery), rows)
    return len(rows)


# -- taking due rows ------------------------------------------------------------------


def target_key() -> ColumnElement[str]:
    """Where a delivery goes, as one string: the webhook's url, the bucket, the stream
    name (with ``sink``, the unit of the per-target concurrency cap)."""
    return func.coalesce(
        Delivery.target["url"].as_string(),
        Delivery.target["bucket"].as_string(),
        Delivery.target["stream_name"].as_string(),
        "",
    )


def _due(now: int) -> ColumnElement[bool]:
    return and_(
        Delivery.state == "pending",
        Delivery.next_attempt_at <= now,
        Delivery.locked_until < now,
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A due row seen by a worker (not yet leased)."""

    id: int
    sink: str
    key: str


async def due_candidates(
    session: AsyncSession,
    now: int,
    *,
    per_target: int,
    limit: int,
    exclude: Iterable[tuple[str, str]] = (),
) -> list[Candidate]:
    """Due rows, oldest due first, at most ``per_target`` of each (sink, target) and none
    of the ``exclude``-d ones (targets the worker has saturated): so one unreachable target
    with a long backlog cannot fill a worker's slots while others wait."""
    key = target_key()
    conditions = [_due(now)]
    excluded = [and_(Delivery.sink == sink, key == k) for sink, k in exclude]
    if excluded:
        conditions.append(not_(or_(*excluded)))
    rank = (
        func.row_number()
        .over(partition_by=(Delivery.sink, key), order_by=(Delivery.next_attempt_at, Delivery.id))
        .label("rank")
    )
    ranked = (
        select(Delivery.id, Delivery.sink, key.label("key"), Delivery.next_attempt_at, rank)
        .where(*conditions)
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.id, ranked.c.sink, ranked.c.key)
        .where(ranked.c.rank <= per_target)
        .order_by(ranked.c.next_attempt_at, ranked.c.id)
        .limit(limit)
    )
    return [Candidate(int(row.id), str(row.sink), str(row.key)) for row in rows]


@dataclass(frozen=True, slots=True)
class Leased:
    """A row this worker holds until ``locked_until``, with its alarm (None when the event
    vanished meanwhile)."""

    id: int
    event_id: str
    sink: str
    target: dict[str, Any]
    attempts: int
    created_at: int
    alarm: Alarm | None


async def lease(
    session: AsyncSession, ids: Sequence[int], worker: str, now: int, lease_ms: int
) -> list[Leased]:
    """Lease those of ``ids`` that are still due. PostgreSQL locks them with ``FOR UPDATE
    SKIP LOCKED`` (rows another worker is leasing right now are skipped, not waited for);
    SQLite, whose writers take turns, runs the same conditional UPDATE without it."""
    if not ids:
        return []
    free = (
        select(_T.c.id)
        .where(
            _T.c.id.in_(list(ids)),
            _T.c.state == "pending",
            _T.c.next_attempt_at <= now,
            _T.c.locked_until < now,
        )
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(_T)
        .where(_T.c.id.in_(free.scalar_subquery()))
        .values(locked_until=now + lease_ms, locked_by=worker)
        .returning(_T.c.id, _T.c.event_id, _T.c.sink, _T.c.target, _T.c.attempts, _T.c.created_at)
    )
    rows = list(result)
    alarms = await _alarms(session, {row.event_id for row in rows})
    return [
        Leased(
            id=int(row.id),
            event_id=str(row.event_id),
            sink=str(row.sink),
            target=dict(row.target or {}),
            attempts=int(row.attempts),
            created_at=int(row.created_at),
            alarm=alarms.get(row.event_id),
        )
        for row in sorted(rows, key=lambda r: int(r.id))
    ]


async def _alarms(session: AsyncSession, event_ids: set[str]) -> dict[str, Alarm]:
    if not event_ids:
        return {}
    rows = await session.execute(
        select(AlarmEvent, AlarmImage.jpeg)
        .outerjoin(AlarmImage, AlarmImage.event_id == AlarmEvent.id)
        .where(AlarmEvent.id.in_(sorted(event_ids)))
    )
    return {event.id: alarm_of(event, jpeg or b"") for event, jpeg in rows}


async def release(session: AsyncSession, worker: str, ids: Sequence[int] | None = None) -> int:
    """Give back this worker's leases (of ``ids``, or all): due again at once."""
    stmt = update(_T).where(_T.c.locked_by == worker, _T.c.state == "pending")
    if ids is not None:
        if not ids:
            return 0
        stmt = stmt.where(_T.c.id.in_(list(ids)))
    result = await session.execute(stmt.values(locked_until=0, locked_by=None))
    return int(getattr(result, "rowcount", 0) or 0)


# -- recording attempts ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """One finished attempt and what it makes of the row."""

    delivery_id: int
    #: ``attempts`` of the row when it was leased (the fence: the row is only changed if
    #: nobody else attempted it since).
    attempts_before: int
    started_at: int
    duration_ms: int
    #: "delivered", "retry" or "dead".
    outcome: str
    status_code: int | None
    detail: str
    #: When a "retry" is due again (epoch ms).
    next_attempt_at: int
    finished_at: int


async def record(session: AsyncSession, results: Sequence[AttemptResult], worker: str) -> None:
    """Record finished attempts, a few statements for the whole batch.

    Every attempt is added to its delivery's history (it happened); the delivery row itself
    changes only while ``worker`` still holds its lease at the attempt count it leased: a
    worker that lost its lease (paused past it) leaves the row to whoever leased it next.
    A delivery deleted meanwhile (with its alarm) is skipped."""
    if not results:
        return
    fence = (
        _T.c.id == bindparam("b_id"),
        _T.c.state == "pending",
        _T.c.locked_by == worker,
        _T.c.attempts == bindparam("b_before"),
    )
    released: dict[str, Any] = {
        "attempts": bindparam("b_after"),
        "locked_until": 0,
        "locked_by": None,
    }
    shapes: dict[str, dict[str, Any]] = {
        "delivered": {"state": "delivered", "delivered_at": bindparam("b_finished")},
        "dead": {
            "state": "dead",
            "last_error": bindparam("b_error"),
            "last_failed_at": bindparam("b_started"),
        },
        "retry": {
            "next_attempt_at": bindparam("b_next"),
            "last_error": bindparam("b_error"),
            "last_failed_at": bindparam("b_started"),
        },
    }
    for outcome, values in shapes.items():
        params = [
            {
                "b_id": r.delivery_id,
                "b_before": r.attempts_before,
                "b_after": r.attempts_before + 1,
                "b_finished": r.finished_at,
                "b_started": r.started_at,
                "b_error": r.detail[:_TEXT_MAX],
                "b_next": r.next_attempt_at,
            }
            for r in results
            if r.outcome == outcome
        ]
        if params:
            await session.execute(update(_T).where(*fence).values(**released, **values), params)
    ids = sorted({r.delivery_id for r in results})
    last = await session.execute(
        select(_T.c.id, func.max(_ATTEMPTS.c.attempt))
        .select_from(_T.outerjoin(_ATTEMPTS, _ATTEMPTS.c.delivery_id == _T.c.id))
        .where(_T.c.id.in_(ids))
        .group_by(_T.c.id)
    )
    numbers = {int(delivery_id): int(number or 0) for delivery_id, number in last}
    rows = []
    for r in sorted(results, key=lambda r: r.started_at):
        if r.delivery_id not in numbers:
            continue
        # Numbers run on through retries from the API (``attempts`` restarts at 0), and
        # through a batch holding two attempts of one delivery (kept while the database
        # was away for longer than a lease).
        numbers[r.delivery_id] += 1
        rows.append(
            {
                "delivery_id": r.delivery_id,
                "attempt": numbers[r.delivery_id],
                "started_at": r.started_at,
                "duration_ms": r.duration_ms,
                "outcome": r.outcome,
                "status_code": r.status_code,
                "detail": r.detail[:_TEXT_MAX],
                "worker": worker[:128],
            }
        )
    if rows:
        await session.execute(insert(_ATTEMPTS), rows)


@dataclass(frozen=True, slots=True)
class OutboxDepth:
    #: Deliveries still to be made (due now or waiting for their backoff).
    pending: int
    #: ``next_attempt_at`` (ms) of the longest-waiting pending delivery that is due; None
    #: when none is due.
    oldest_due_at: int | None


async def outbox_depth(session: AsyncSession, now: int) -> OutboxDepth:
    """Two reads of the ``(state, next_attempt_at)`` index."""
    pending = await session.scalar(
        select(func.count()).select_from(_T).where(_T.c.state == "pending")
    )
    oldest = await session.scalar(
        select(func.min(_T.c.next_attempt_at)).where(
            _T.c.state == "pending", _T.c.next_attempt_at <= now
        )
    )
    return OutboxDepth(int(pending or 0), int(oldest) if oldest is not None else None)
