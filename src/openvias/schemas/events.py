"""The event center's wire models: an openvias extension (VIAS has an Event Center in its
console but no public API for it, vias-api.md §11.4).

An event is the VIAS alarm envelope (§11.2) followed by what openvias knows about it:
``batch_id``, ``video_source_id``, ``service_name`` and ``created_at`` (epoch ms, when it
was stored). The list leaves out ``image_base64``; showing one event includes it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from openvias.schemas.common import WireModel

#: ``message_id``: an upper-case UUID (lower case is accepted in paths).
EVENT_ID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"


class EventData(WireModel):
    event_set: list[dict[str, Any]] = Field(
        description="Algorithm payload, e.g. smoke and fire: "
        '{"state": 1 (fire) | 2 (smoke), "bounding_box": {"x", "y", "w", "h"}}.'
    )


class EventSummary(WireModel):
    event_type: int = Field(examples=[393216])
    task_id: str
    stream_id: str
    timestamp: int = Field(description="Alarm time, Unix epoch seconds.")
    message_id: str = Field(examples=["82C02174-4FEB-11EA-9357-407D0FAD91FC"])
    data: EventData
    batch_id: str | None
    video_source_id: str | None
    service_name: str
    created_at: int = Field(description="When the event was stored, epoch milliseconds.")


class EventDetail(WireModel):
    event_type: int = Field(examples=[393216])
    task_id: str
    stream_id: str
    timestamp: int = Field(description="Alarm time, Unix epoch seconds.")
    message_id: str = Field(examples=["82C02174-4FEB-11EA-9357-407D0FAD91FC"])
    image_base64: str = Field(description="The alarm frame, Base64 of a JPEG.")
    data: EventData
    batch_id: str | None
    video_source_id: str | None
    service_name: str
    created_at: int = Field(description="When the event was stored, epoch milliseconds.")


class EventList(WireModel):
    total: int = Field(description="Events matching the filters, all pages.")
    events: list[EventSummary]
