"""Event Center rules of a project: the repeated-event aggregation switch and window.

A project without a row has the defaults; ``insert_alarm`` reads the row itself
(``store/repositories/alarm_events.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import EventRules
from openvias.store.models.event_rules import DEFAULT_AGGREGATION_MINUTES
from openvias.store.repositories.alarm_events import dialect_insert


@dataclass(frozen=True, slots=True)
class Rules:
    aggregation_enabled: bool = False
    aggregation_minutes: int = DEFAULT_AGGREGATION_MINUTES


async def get_rules(session: AsyncSession, project_id: str) -> Rules:
    row = (
        await session.execute(
            select(EventRules.aggregation_enabled, EventRules.aggregation_minutes).where(
                EventRules.project_id == project_id
            )
        )
    ).first()
    if row is None:
        return Rules()
    return Rules(bool(row.aggregation_enabled), int(row.aggregation_minutes))


async def put_rules(
    session: AsyncSession, project_id: str, rules: Rules, *, updated_at: int, updated_by: str
) -> None:
    """Create or replace the project's rules (one statement, safe against a racing PUT)."""
    values = {
        "aggregation_enabled": rules.aggregation_enabled,
        "aggregation_minutes": rules.aggregation_minutes,
        "updated_at": updated_at,
        "updated_by": updated_by,
    }
    statement = dialect_insert(session, EventRules).values(project_id=project_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["project_id"], set_=values)
    )
