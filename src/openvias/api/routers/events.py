"""Event center (openvias extension): list, show, review and delete the alarms the engine
stored, and the project's repeated-event aggregation rules.

VIAS keeps alarms in a console-only Event Center (``output.event_center``) with no public
API; these routes are openvias's own. Events are the VIAS alarm envelope plus
``batch_id``, ``video_source_id``, ``service_name``, ``created_at``, the aggregation
(``primary_id``, ``aggregated_count``) and the review fields.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from starlette.exceptions import HTTPException

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.domain.algorithm_catalogue import CATALOGUE
from openvias.schemas.common import RESOURCE_ID_PATTERN
from openvias.schemas.events import (
    EVENT_ID_PATTERN,
    EventDetail,
    EventList,
    EventReview,
    EventRulesInfo,
    EventRulesUpdate,
    EventSummary,
    ReviewState,
)
from openvias.services.events import EventService
from openvias.store.repositories.alarm_events import AlarmFilter

router = APIRouter(
    prefix="/v2/{project_id}/events", tags=["Event Center (openvias)"], responses=PROJECT_ERRORS
)

#: Exactly the catalogue's service names.
SERVICE_NAME_PATTERN = "^(" + "|".join(sorted(CATALOGUE)) + ")$"
_INT64_MAX = 2**63 - 1

EventIdPath = Annotated[str, Path(pattern=EVENT_ID_PATTERN, max_length=36)]
EpochSeconds = Annotated[int | None, Query(ge=0, le=_INT64_MAX)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=1000)]


# /rules before /{event_id}: "rules" is no event id.
@router.get("/rules", response_model=EventRulesInfo, operation_id="ShowEventRules")
async def show_event_rules(project: CurrentProject, session: Session) -> EventRulesInfo:
    """The project's repeated-event aggregation rules (off, 10 minutes, until set)."""
    return await EventService(session, project.project_id).rules()


@router.put("/rules", response_model=EventRulesInfo, operation_id="UpdateEventRules")
async def update_event_rules(
    body: EventRulesUpdate, project: CurrentProject, session: Session
) -> EventRulesInfo:
    """Set the aggregation rules; they apply to the alarms stored from then on."""
    service = EventService(session, project.project_id)
    return await service.set_rules(body, project.principal.user_name)


@router.delete("/rules", include_in_schema=False)
async def no_delete_of_event_rules() -> None:
    """405 (with ``Allow``), not DeleteEvent's 400 for the event id "rules"."""
    raise HTTPException(status_code=405)


@router.get("", response_model=EventList, operation_id="ListEvents")
async def list_events(
    project: CurrentProject,
    session: Session,
    offset: Offset = 0,
    limit: Limit = 10,
    task_id: Annotated[str | None, Query(pattern=RESOURCE_ID_PATTERN, max_length=36)] = None,
    video_source_id: Annotated[
        str | None, Query(pattern=RESOURCE_ID_PATTERN, max_length=36)
    ] = None,
    service_name: Annotated[str | None, Query(pattern=SERVICE_NAME_PATTERN)] = None,
    event_type: Annotated[int | None, Query(ge=0, le=_INT64_MAX)] = None,
    start_time: EpochSeconds = None,
    end_time: EpochSeconds = None,
    review_state: Annotated[ReviewState | None, Query()] = None,
    include_secondary: bool = False,
) -> EventList:
    """Primary events of the project (all events with ``include_secondary``), newest
    first, filtered; ``start_time`` and ``end_time`` bound the alarm ``timestamp`` (epoch
    seconds, both included)."""
    event_filter = AlarmFilter(
        task_id=task_id,
        video_source_id=video_source_id,
        service_name=service_name,
        event_type=event_type,
        start_time=start_time,
        end_time=end_time,
        review_state=review_state,
        include_secondary=include_secondary,
    )
    return await EventService(session, project.project_id).list_page(
        event_filter, offset=offset, limit=limit
    )


@router.get("/{event_id}", response_model=EventDetail, operation_id="ShowEvent")
async def show_event(
    event_id: EventIdPath, project: CurrentProject, session: Session
) -> EventDetail:
    """One event with its alarm image (``image_base64``)."""
    return await EventService(session, project.project_id).show(event_id)


@router.get(
    "/{event_id}/image",
    operation_id="ShowEventImage",
    response_class=Response,
    responses={
        200: {
            "description": "The alarm image, scaled to fit max_side (aspect kept)",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "X-Openvias-Image-Width": {
                    "description": "The stored picture's width (bounding_box coordinates)",
                    "schema": {"type": "integer"},
                },
                "X-Openvias-Image-Height": {
                    "description": "The stored picture's height",
                    "schema": {"type": "integer"},
                },
            },
        }
    },
)
async def show_event_image(
    event_id: EventIdPath,
    project: CurrentProject,
    session: Session,
    max_side: Annotated[int | None, Query(ge=16, le=8192)] = None,
) -> Response:
    """The event's alarm image as JPEG (``image_base64`` of ShowEvent, without JSON):
    as stored, or scaled down so that its longer side is ``max_side``; the headers give
    the stored size, which ``bounding_box`` coordinates refer to. An alarm image never
    changes, so the browser may keep it for an hour."""
    image = await EventService(session, project.project_id).image(event_id, max_side)
    return Response(
        content=image.jpeg,
        media_type="image/jpeg",
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Openvias-Image-Width": str(image.width),
            "X-Openvias-Image-Height": str(image.height),
        },
    )


@router.get("/{event_id}/secondary", response_model=EventList, operation_id="ListSecondaryEvents")
async def list_secondary_events(
    event_id: EventIdPath,
    project: CurrentProject,
    session: Session,
    offset: Offset = 0,
    limit: Limit = 10,
) -> EventList:
    """The events aggregated into a primary event, newest first (none for a secondary)."""
    service = EventService(session, project.project_id)
    return await service.secondaries(event_id, offset=offset, limit=limit)


@router.put("/{event_id}/review", response_model=EventSummary, operation_id="ReviewEvent")
async def review_event(
    event_id: EventIdPath, body: EventReview, project: CurrentProject, session: Session
) -> EventSummary:
    """Approve or reject an event; the caller and the time are recorded, and a new review
    replaces the previous one. Answers the event without its image."""
    service = EventService(session, project.project_id)
    return await service.review(event_id, body, project.principal.user_name)


@router.delete(
    "/{event_id}",
    response_model=str,
    operation_id="DeleteEvent",
    responses={200: {"content": {"application/json": {"example": "true"}}}},
)
async def delete_event(event_id: EventIdPath, project: CurrentProject, session: Session) -> str:
    """Delete an event with its image and deliveries; deleting a primary event deletes its
    secondary events too, deleting a secondary uncounts it from its primary."""
    await EventService(session, project.project_id).delete(event_id)
    return "true"
