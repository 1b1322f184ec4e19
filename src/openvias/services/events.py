"""The event center (openvias extension): the alarms the engine stored, per project."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.errors import NotFound
from openvias.schemas.events import EventDetail, EventList, EventSummary
from openvias.store.models import AlarmEvent
from openvias.store.repositories.alarm_events import (
    AlarmFilter,
    alarm_of,
    get_alarm,
    list_alarms,
)


class EventService:
    def __init__(self, session: AsyncSession, project_id: str) -> None:
        self.session = session
        self.project_id = project_id

    async def list_page(self, f: AlarmFilter, *, offset: int, limit: int) -> EventList:
        if f.start_time is not None and f.end_time is not None and f.start_time > f.end_time:
            return EventList(total=0, events=[])  # an empty range, not an error
        rows, total = await list_alarms(
            self.session, self.project_id, f, offset=offset, limit=limit
        )
        return EventList(
            total=total,
            events=[EventSummary.model_validate(_wire(row, include_image=False)) for row in rows],
        )

    async def show(self, event_id: str) -> EventDetail:
        found = await get_alarm(self.session, self.project_id, event_id.upper())
        if found is None:
            raise NotFound(f"Event {event_id} does not exist.", param="event_id")
        event, jpeg = found
        return EventDetail.model_validate(_wire(event, jpeg, include_image=True))


def _wire(event: AlarmEvent, jpeg: bytes = b"", *, include_image: bool) -> dict[str, Any]:
    """The VIAS envelope of the stored alarm, then the openvias fields."""
    return {
        **alarm_of(event, jpeg).envelope(include_image=include_image),
        "batch_id": event.batch_id,
        "video_source_id": event.video_source_id,
        "service_name": event.service_name,
        "created_at": event.created_at,
    }
