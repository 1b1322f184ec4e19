"""The event center's storage: alarms written once by the engine, read, reviewed and deleted
by the event API.

An alarm is one ``alarm_events`` row and one ``alarm_images`` row (the JPEG), so that
listing events never reads images; its deliveries and image go with it (ON DELETE CASCADE).

Repeated-event aggregation (``event_rules``): when the project has it on, an alarm of the
same stream, service and event type as a primary event whose alarm time is at most the
alarm's and less than the window older becomes that primary's secondary (``primary_id``)
and the primary's ``aggregated_count`` grows by one, in the transaction that stores it.
Locks, always primary before secondary: on PostgreSQL a transaction-scoped advisory lock
on the aggregation key serialises the inserts of one key (so two racing first alarms do not
both become primaries) and the primary row is locked FOR UPDATE while it is counted; on
SQLite the alarm row is written first, which takes the database's write lock before the
primary is looked up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.alarms import Alarm
from openvias.store.models import AlarmEvent, AlarmImage, EventRules


def dialect_insert(session: AsyncSession, table: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """INSERT with ON CONFLICT support, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"alarm events are not supported on {dialect}")


async def insert_alarm(session: AsyncSession, alarm: Alarm, created_at_ms: int) -> bool:
    """Store the alarm and its image in the caller's transaction (flushed, not committed).

    Idempotent: when an event with ``alarm.message_id`` exists nothing is written and the
    answer is False (an alarm raised again after a resume); True when it was stored. With
    the project's aggregation on, a stored alarm may become a secondary event (module
    docstring)."""
    window_s = await _aggregation_window_s(session, alarm.project_id)
    if window_s is not None and session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_aggregation_lock(alarm))))
    event = {
        "id": alarm.message_id,
        "project_id": alarm.project_id,
        "task_id": alarm.task_id,
        "batch_id": alarm.batch_id,
        "video_source_id": alarm.video_source_id,
        "stream_id": alarm.stream_id,
        "service_name": alarm.service_name,
        "event_type": alarm.event_type,
        "timestamp": alarm.timestamp,
        "media_ms": alarm.media_ms,
        "run": alarm.run,
        "data": {**alarm.data_extra, "event_set": alarm.event_set},
        "created_at": created_at_ms,
    }
    # RETURNING gives no row when the conflict skipped the insert (both dialects).
    inserted = await session.scalar(
        dialect_insert(session, AlarmEvent)
        .values(event)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(AlarmEvent.id)
    )
    if inserted is None:
        return False
    await session.execute(
        dialect_insert(session, AlarmImage)
        .values(event_id=alarm.message_id, jpeg=alarm.jpeg)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    if window_s is not None:
        await _aggregate(session, alarm, window_s)
    return True


async def _aggregation_window_s(session: AsyncSession, project_id: str) -> int | None:
    """The project's aggregation window in seconds, None when aggregation is off."""
    row = (
        await session.execute(
            select(EventRules.aggregation_enabled, EventRules.aggregation_minutes).where(
                EventRules.project_id == project_id
            )
        )
    ).first()
    if row is None or not row.aggregation_enabled:
        return None
    return int(row.aggregation_minutes) * 60


def _aggregation_lock(alarm: Alarm) -> int:
    """The advisory lock id of the alarm's aggregation key (a signed 64-bit int)."""
    key = "\x1f".join(
        (alarm.project_id, alarm.stream_id, alarm.service_name, str(alarm.event_type))
    )
    digest = hashlib.blake2b(key.encode(), digest_size=8, person=b"openvias-aggr").digest()
    return int.from_bytes(digest, "big", signed=True)


async def _aggregate(session: AsyncSession, alarm: Alarm, window_s: int) -> None:
    """Make the just stored alarm a secondary of the newest primary of its key whose alarm
    time lies in ``(timestamp - window, timestamp]``, if there is one."""
    primary_id = await session.scalar(
        select(AlarmEvent.id)
        .where(
            AlarmEvent.project_id == alarm.project_id,
            AlarmEvent.stream_id == alarm.stream_id,
            AlarmEvent.service_name == alarm.service_name,
            AlarmEvent.event_type == alarm.event_type,
            AlarmEvent.timestamp <= alarm.timestamp,
            AlarmEvent.timestamp > alarm.timestamp - window_s,
            AlarmEvent.primary_id.is_(None),
            AlarmEvent.id != alarm.message_id,
        )
        .order_by(AlarmEvent.timestamp.desc(), AlarmEvent.created_at.desc(), AlarmEvent.id.desc())
        .limit(1)
        .with_for_update()
    )
    if primary_id is None:
        return
    await session.execute(
        update(AlarmEvent)
        .where(AlarmEvent.id == primary_id)
        .values(aggregated_count=AlarmEvent.aggregated_count + 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(AlarmEvent)
        .where(AlarmEvent.id == alarm.message_id)
        .values(primary_id=primary_id)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True, slots=True)
class AlarmFilter:
    """Every given field must match; the time range is on ``timestamp`` (epoch seconds),
    both ends included."""

    task_id: str | None = None
    video_source_id: str | None = None
    service_name: str | None = None
    event_type: int | None = None
    start_time: int | None = None
    end_time: int | None = None
    review_state: str | None = None
    #: False: primary events only; True: secondary events too.
    include_secondary: bool = False
    #: Only the secondary events of this primary (``include_secondary`` is then moot).
    primary_id: str | None = None


def _filtered(project_id: str, f: AlarmFilter, *columns: Any) -> Select[Any]:
    stmt = select(*columns).select_from(AlarmEvent).where(AlarmEvent.project_id == project_id)
    if f.task_id is not None:
        stmt = stmt.where(AlarmEvent.task_id == f.task_id)
    if f.video_source_id is not None:
        stmt = stmt.where(AlarmEvent.video_source_id == f.video_source_id)
    if f.service_name is not None:
        stmt = stmt.where(AlarmEvent.service_name == f.service_name)
    if f.event_type is not None:
        stmt = stmt.where(AlarmEvent.event_type == f.event_type)
    if f.start_time is not None:
        stmt = stmt.where(AlarmEvent.timestamp >= f.start_time)
    if f.end_time is not None:
        stmt = stmt.where(AlarmEvent.timestamp <= f.end_time)
    if f.review_state is not None:
        stmt = stmt.where(AlarmEvent.review_state == f.review_state)
    if f.primary_id is not None:
        stmt = stmt.where(AlarmEvent.primary_id == f.primary_id)
    elif not f.include_secondary:
        stmt = stmt.where(AlarmEvent.primary_id.is_(None))
    return stmt


async def list_alarms(
    session: AsyncSession, project_id: str, f: AlarmFilter, *, offset: int, limit: int
) -> tuple[list[AlarmEvent], int]:
    """One page of the project's matching events, newest stored first (``created_at``, then
    id, descending: the order of ``ix_alarm_events_project_created``), and their total."""
    total = int(await session.scalar(_filtered(project_id, f, func.count())) or 0)
    rows = await session.scalars(
        _filtered(project_id, f, AlarmEvent)
        .order_by(AlarmEvent.created_at.desc(), AlarmEvent.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def get_alarm(
    session: AsyncSession, project_id: str, event_id: str
) -> tuple[AlarmEvent, bytes] | None:
    """The project's event and its JPEG (empty if the image row is missing)."""
    row = (
        await session.execute(
            select(AlarmEvent, AlarmImage.jpeg)
            .outerjoin(AlarmImage, AlarmImage.event_id == AlarmEvent.id)
            .where(AlarmEvent.project_id == project_id, AlarmEvent.id == event_id)
        )
    ).first()
    if row is None:
        return None
    event, jpeg = row
    return event, jpeg or b""


async def alarm_jpeg(session: AsyncSession, project_id: str, event_id: str) -> bytes | None:
    """The JPEG of the project's event; None when there is no such event or image."""
    jpeg = await session.scalar(
        select(AlarmImage.jpeg)
        .join(AlarmEvent, AlarmEvent.id == AlarmImage.event_id)
        .where(AlarmEvent.project_id == project_id, AlarmEvent.id == event_id)
    )
    return jpeg or None


async def find_alarm(session: AsyncSession, project_id: str, event_id: str) -> AlarmEvent | None:
    """The project's event, without its image."""
    return await session.scalar(
        select(AlarmEvent).where(AlarmEvent.project_id == project_id, AlarmEvent.id == event_id)
    )


async def delete_alarm(session: AsyncSession, project_id: str, event_id: str) -> bool:
    """Delete the project's event (False when there is none). A primary takes its secondary
    events with it; a secondary is uncounted from its primary. Images and deliveries go by
    ON DELETE CASCADE. The primary is locked before the secondary, as ``insert_alarm``
    does, and a secondary's primary is uncounted only if this call deleted it."""
    found = (
        await session.execute(
            select(AlarmEvent.primary_id).where(
                AlarmEvent.project_id == project_id, AlarmEvent.id == event_id
            )
        )
    ).first()
    if found is None:
        return False
    primary_id: str | None = found.primary_id
    if primary_id is not None:
        await session.execute(
            select(AlarmEvent.id).where(AlarmEvent.id == primary_id).with_for_update()
        )
    deleted = (
        await session.execute(
            delete(AlarmEvent)
            .where(AlarmEvent.project_id == project_id, AlarmEvent.id == event_id)
            .returning(AlarmEvent.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if deleted is None:
        return False  # deleted meanwhile
    if primary_id is None:
        await session.execute(
            delete(AlarmEvent)
            .where(AlarmEvent.primary_id == event_id)
            .execution_options(synchronize_session=False)
        )
    else:
        await session.execute(
            update(AlarmEvent)
            .where(AlarmEvent.id == primary_id)
            .values(aggregated_count=AlarmEvent.aggregated_count - 1)
            .execution_options(synchronize_session=False)
        )
    return True


def alarm_of(event: AlarmEvent, jpeg: bytes = b"") -> Alarm:
    """The stored event as the domain value (its envelope is the wire form)."""
    return Alarm(
        message_id=event.id,
        project_id=event.project_id,
        task_id=event.task_id,
        batch_id=event.batch_id,
        video_source_id=event.video_source_id,
        stream_id=event.stream_id,
        service_name=event.service_name,
        event_type=event.event_type,
        timestamp=event.timestamp,
        media_ms=event.media_ms,
        run=event.run,
        event_set=list((event.data or {}).get("event_set", [])),
        jpeg=jpeg,
        data_extra={k: v for k, v in (event.data or {}).items() if k != "event_set"},
    )
