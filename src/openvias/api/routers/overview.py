"""The Overview summary (openvias extension): the console's first page in one call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.schemas.overview import OverviewInfo
from openvias.services.overview import OverviewService

router = APIRouter(
    prefix="/v2/{project_id}/overview", tags=["Overview (openvias)"], responses=PROJECT_ERRORS
)


@router.get("", response_model=OverviewInfo, operation_id="ShowOverview")
async def show_overview(
    project: CurrentProject,
    session: Session,
    tz: Annotated[str, Query(min_length=1, max_length=64)] = "UTC",
) -> OverviewInfo:
    """Tasks per state (with the newest names of those that need attention), primary
    alarms today and this week per service (``tz``: the user's IANA time zone, which says
    when their day and week begin; 400 when unknown) with those still to review, and the
    deliveries per state with the latest failure. Each count is the ``total`` the matching
    list call gives."""
    return await OverviewService(session, project.project_id).summary(tz)
