"""Alarm deliveries (openvias extension): every alarm a task sends to its webhook, OBS or
DIS output, with each attempt; a dead one (the dead-letter record) can be sent again.

VIAS documents the output channels but no API to watch them; these routes are openvias's
own (``docs/design/delivery.md``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.schemas.common import RESOURCE_ID_PATTERN
from openvias.schemas.deliveries import DeliveryInfo, DeliveryList, DeliveryState, SinkKind
from openvias.schemas.events import EVENT_ID_PATTERN
from openvias.services.deliveries import DeliveryService
from openvias.store.repositories.delivery_queries import DeliveryFilter

router = APIRouter(
    prefix="/v2/{project_id}/deliveries",
    tags=["Alarm delivery (openvias)"],
    responses=PROJECT_ERRORS,
)

DeliveryIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("", response_model=DeliveryList, operation_id="ListDeliveries")
async def list_deliveries(
    project: CurrentProject,
    session: Session,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    event_id: Annotated[str | None, Query(pattern=EVENT_ID_PATTERN, max_length=36)] = None,
    task_id: Annotated[str | None, Query(pattern=RESOURCE_ID_PATTERN, max_length=36)] = None,
    sink: Annotated[SinkKind | None, Query()] = None,
    state: Annotated[DeliveryState | None, Query()] = None,
) -> DeliveryList:
    """Deliveries of the project, newest first, each with its attempts; ``summary`` counts
    the deliveries matching every filter but ``state`` per state, with the latest failure
    (with ``task_id``: how that task's alarms are getting out)."""
    delivery_filter = DeliveryFilter(event_id=event_id, task_id=task_id, sink=sink, state=state)
    return await DeliveryService(session, project.project_id).list_page(
        delivery_filter, offset=offset, limit=limit
    )


@router.get("/{delivery_id}", response_model=DeliveryInfo, operation_id="ShowDelivery")
async def show_delivery(
    delivery_id: DeliveryIdPath, project: CurrentProject, session: Session
) -> DeliveryInfo:
    """One delivery with its attempts."""
    return await DeliveryService(session, project.project_id).show(delivery_id)


@router.post("/{delivery_id}/retry", response_model=DeliveryInfo, operation_id="RetryDelivery")
async def retry_delivery(
    delivery_id: DeliveryIdPath, project: CurrentProject, session: Session
) -> DeliveryInfo:
    """Send a dead delivery again: pending, due now, attempts counted from 0 (the attempts
    so far stay in its history). 409 ``VIAS.00090409`` when it is not dead."""
    return await DeliveryService(session, project.project_id).retry(delivery_id)
