"""Per-stream health (openvias extension): how each running stream does, for operators and
the console's overview (``docs/observability.md``). VIAS has no such API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.schemas.stream_health import StreamHealthInfo, StreamHealthList
from openvias.services.stream_health import StreamHealthService

router = APIRouter(
    prefix="/v2/{project_id}", tags=["Stream health (openvias)"], responses=PROJECT_ERRORS
)

TaskIdPath = Annotated[str, Path(pattern=r"^[a-z0-9-_]{4,36}$")]


@router.get(
    "/tasks/{task_id}/stream", response_model=StreamHealthInfo, operation_id="ShowTaskStream"
)
async def show_task_stream(
    task_id: TaskIdPath, project: CurrentProject, session: Session
) -> StreamHealthInfo:
    return await StreamHealthService(session, project.project_id).show(task_id)


@router.get("/streams", response_model=StreamHealthList, operation_id="ListStreams")
async def list_streams(
    project: CurrentProject,
    session: Session,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> StreamHealthList:
    return await StreamHealthService(session, project.project_id).list_page(
        offset=offset, limit=limit
    )
