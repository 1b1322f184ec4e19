"""The event center's wire models: an openvias extension (VIAS has an Event Center in its
console but no public API for it, vias-api.md §11.4).

An event is the VIAS alarm envelope (§11.2) followed by what openvias knows about it:
``batch_id``, ``video_source_id``, ``service_name``, ``created_at`` (epoch ms, when it was
stored), its aggregation (``primary_id``, ``aggregated_count``) and its review
(``review_state``, ``review_comment``, ``reviewed_by``, ``reviewed_at``). The list leaves
out ``image_base64``; showing one event includes it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StrictBool, StrictStr

from openvias.schemas.common import WireModel

#: ``message_id``: an upper-case UUID (lower case is accepted in paths).
EVENT_ID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"

ReviewState = Literal["pending", "approved", "rejected"]
#: The window of repeated-event aggregation, minutes (the console's 1-1440).
AGGREGATION_MINUTES_MIN, AGGREGATION_MINUTES_MAX = 1, 1440


def _json_integer(value: Any) -> Any:
    """JSON Schema's integer: ``5`` and ``5.0``, but neither ``true`` nor ``"5"`` (which
    pydantic's lax ``int`` would take) nor ``5.5`` (which its strict one would not)."""
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a valid integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: Field before BeforeValidator: the other way round the JSON schema says "ge", not "minimum".
AggregationMinutes = Annotated[
    int,
    Field(ge=AGGREGATION_MINUTES_MIN, le=AGGREGATION_MINUTES_MAX),
    BeforeValidator(_json_integer),
]


class EventData(WireModel):
    """The message's ``data``: ``event_set`` and whatever else the algorithm's message
    carries next to it (e.g. ``interval`` of flow counts), kept as the sinks deliver it."""

    model_config = ConfigDict(extra="allow")

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
    primary_id: str | None = Field(
        description="The primary event this one is aggregated into; null for a primary."
    )
    aggregated_count: int = Field(
        description="On a primary: the events aggregated into it, itself included (1 when "
        "none). On a secondary: 1."
    )
    review_state: ReviewState
    review_comment: str
    reviewed_by: str | None = Field(description="User name of the last reviewer.")
    reviewed_at: int | None = Field(description="When last reviewed, epoch milliseconds.")


class EventDetail(WireModel):
    """EventSummary plus the frame, in the VIAS alarm envelope's own order (``image_base64``
    right after ``message_id``), which a subclass could not keep: fields are repeated."""

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
    primary_id: str | None = Field(
        description="The primary event this one is aggregated into; null for a primary."
    )
    aggregated_count: int = Field(
        description="On a primary: the events aggregated into it, itself included (1 when "
        "none). On a secondary: 1."
    )
    review_state: ReviewState
    review_comment: str
    reviewed_by: str | None = Field(description="User name of the last reviewer.")
    reviewed_at: int | None = Field(description="When last reviewed, epoch milliseconds.")


class EventList(WireModel):
    total: int = Field(description="Events matching the filters, all pages.")
    events: list[EventSummary]


class EventReview(WireModel):
    """The body of ReviewEvent; a new review replaces the previous one."""

    result: Literal["approved", "rejected"] = Field(
        description="approved: a true alarm; rejected: a false alarm."
    )
    comment: StrictStr = Field(default="", max_length=1024)


class EventRulesUpdate(WireModel):
    """The body of UpdateEventRules."""

    aggregation_enabled: StrictBool = Field(description="Repeated-event aggregation on or off.")
    aggregation_minutes: AggregationMinutes | None = Field(
        default=None,
        description="The aggregation window, minutes; left out or null: the current one stays.",
    )


class EventRulesInfo(WireModel):
    aggregation_enabled: bool
    aggregation_minutes: int = Field(ge=AGGREGATION_MINUTES_MIN, le=AGGREGATION_MINUTES_MAX)
