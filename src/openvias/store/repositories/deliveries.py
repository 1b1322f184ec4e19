"""Delivery rows: written with their alarm, taken by delivery workers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.alarms import Alarm
from openvias.store.models import Delivery

#: Output kinds delivered by a sink; ``event_center`` needs no delivery (the stored event is
#: the event center's record).
SINK_KINDS = ("webhook", "obs", "dis")


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
