"""The event center's storage: alarms written once by the engine, read by the event API.

An alarm is one ``alarm_events`` row and one ``alarm_images`` row (the JPEG), so that
listing events never reads images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.alarms import Alarm
from openvias.store.models import AlarmEvent, AlarmImage


def _insert(session: AsyncSession, table: type[Any]) -> postgresql.Insert | sqlite.Insert:
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
    answer is False (an alarm raised again after a resume); True when it was stored."""
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
        "data": {"event_set": alarm.event_set},
        "created_at": created_at_ms,
    }
    # RETURNING gives no row when the conflict skipped the insert (both dialects).
    inserted = await session.scalar(
        _insert(session, AlarmEvent)
        .values(event)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(AlarmEvent.id)
    )
    if inserted is None:
        return False
    await session.execute(
        _insert(session, AlarmImage)
        .values(event_id=alarm.message_id, jpeg=alarm.jpeg)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    return True


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
    )
