"""Event center (openvias extension): list and show the alarms the engine stored.

VIAS keeps alarms in a console-only Event Center (``output.event_center``) with no public
API; these routes are openvias's own. Events are the VIAS alarm envelope plus
``batch_id``, ``video_source_id``, ``service_name`` and ``created_at``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.domain.algorithm_catalogue import CATALOGUE
from openvias.schemas.common import RESOURCE_ID_PATTERN
from openvias.schemas.events import EVENT_ID_PATTERN, EventDetail, EventList
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


@router.get("", response_model=EventList, operation_id="ListEvents")
async def list_events(
    project: CurrentProject,
    session: Session,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    task_id: Annotated[str | None, Query(pattern=RESOURCE_ID_PATTERN, max_length=36)] = None,
    video_source_id: Annotated[
        str | None, Query(pattern=RESOURCE_ID_PATTERN, max_length=36)
    ] = None,
    service_name: Annotated[str | None, Query(pattern=SERVICE_NAME_PATTERN)] = None,
    event_type: Annotated[int | None, Query(ge=0, le=_INT64_MAX)] = None,
    start_time: EpochSeconds = None,
    end_time: EpochSeconds = None,
) -> EventList:
    """Events of the project, newest first, filtered; ``start_time`` and ``end_time`` bound
    the alarm ``timestamp`` (epoch seconds, both included)."""
    event_filter = AlarmFilter(
        task_id=task_id,
        video_source_id=video_source_id,
        service_name=service_name,
        event_type=event_type,
        start_time=start_time,
        end_time=end_time,
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
