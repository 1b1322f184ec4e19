"""The event center (openvias extension): the alarms the engine stored, per project; their
review, deletion and the project's repeated-event aggregation rules."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.errors import NotFound
from openvias.schemas.events import (
    EventDetail,
    EventList,
    EventReview,
    EventRulesInfo,
    EventRulesUpdate,
    EventSummary,
)
from openvias.services.event_images import EventImage, scaled_jpeg
from openvias.services.rendering import shown
from openvias.store.models import AlarmEvent
from openvias.store.repositories.alarm_events import (
    AlarmFilter,
    alarm_jpeg,
    alarm_of,
    delete_alarm,
    find_alarm,
    get_alarm,
    list_alarms,
)
from openvias.store.repositories.event_rules import Rules, get_rules, put_rules


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
        return EventList(total=total, events=[_summary(row) for row in rows])

    async def show(self, event_id: str) -> EventDetail:
        found = await get_alarm(self.session, self.project_id, event_id.upper())
        if found is None:
            raise _not_found(event_id)
        event, jpeg = found
        return EventDetail.model_validate(_wire(event, jpeg, include_image=True))

    async def image(self, event_id: str, max_side: int | None) -> EventImage:
        """The event's alarm image as JPEG, scaled down to ``max_side`` when larger."""
        jpeg = await alarm_jpeg(self.session, self.project_id, event_id.upper())
        if jpeg is None:
            raise _not_found(event_id)
        return await asyncio.to_thread(scaled_jpeg, jpeg, max_side)

    async def secondaries(self, event_id: str, *, offset: int, limit: int) -> EventList:
        """The events aggregated into a primary (none for a secondary), newest first."""
        event = await find_alarm(self.session, self.project_id, event_id.upper())
        if event is None:
            raise _not_found(event_id)
        return await self.list_page(AlarmFilter(primary_id=event.id), offset=offset, limit=limit)

    async def review(self, event_id: str, body: EventReview, reviewer: str) -> EventSummary:
        """Record the review of one event (a secondary too); a new one replaces the last."""
        event = await find_alarm(self.session, self.project_id, event_id.upper())
        if event is None:
            raise _not_found(event_id)
        event.review_state = body.result
        event.review_comment = body.comment
        event.reviewed_by = reviewer
        event.reviewed_at = now_ms()
        await self.session.flush()
        return _summary(event)

    async def delete(self, event_id: str) -> None:
        """Delete an event; a primary takes its secondaries with it."""
        if not await delete_alarm(self.session, self.project_id, event_id.upper()):
            raise _not_found(event_id)

    async def rules(self) -> EventRulesInfo:
        rules = await get_rules(self.session, self.project_id)
        return EventRulesInfo(
            aggregation_enabled=rules.aggregation_enabled,
            aggregation_minutes=rules.aggregation_minutes,
        )

    async def set_rules(self, body: EventRulesUpdate, user_name: str) -> EventRulesInfo:
        """Replace the rules; a left-out ``aggregation_minutes`` keeps the current window.
        They apply to the alarms stored from then on; stored events keep their place."""
        current = await get_rules(self.session, self.project_id)
        rules = Rules(
            aggregation_enabled=body.aggregation_enabled,
            aggregation_minutes=body.aggregation_minutes or current.aggregation_minutes,
        )
        await put_rules(
            self.session, self.project_id, rules, updated_at=now_ms(), updated_by=user_name
        )
        return EventRulesInfo(
            aggregation_enabled=rules.aggregation_enabled,
            aggregation_minutes=rules.aggregation_minutes,
        )


def _not_found(event_id: str) -> NotFound:
    return NotFound(f"Event {event_id} does not exist.", param="event_id")


def _summary(event: AlarmEvent) -> EventSummary:
    return EventSummary.model_validate(_wire(event, include_image=False))


def _wire(event: AlarmEvent, jpeg: bytes = b"", *, include_image: bool) -> dict[str, Any]:
    """The VIAS envelope of the stored alarm, then the openvias fields."""
    fields = {
        **alarm_of(event, jpeg).envelope(include_image=include_image),
        "batch_id": event.batch_id,
        "video_source_id": event.video_source_id,
        "service_name": event.service_name,
        "created_at": event.created_at,
        "primary_id": event.primary_id,
        "aggregated_count": event.aggregated_count,
        "review_state": event.review_state,
        "review_comment": event.review_comment,
        "reviewed_by": event.reviewed_by,
        "reviewed_at": event.reviewed_at,
    }
    return shown(fields, what=f"event {event.id}")
