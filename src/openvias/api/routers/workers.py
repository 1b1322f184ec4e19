"""The engine workers (an openvias extension): ``GET /v2/{project_id}/workers``.

Workers are shared by every project: each one is shown, but with only the caller's
project's tasks among those it runs."""

from __future__ import annotations

from fastapi import APIRouter

from openvias.api.deps import CurrentProject, Session, State
from openvias.api.handlers import PROJECT_ERRORS
from openvias.schemas.workers import WorkerList
from openvias.services.workers import list_workers

router = APIRouter(prefix="/v2/{project_id}", tags=["O&M Center"], responses=PROJECT_ERRORS)


@router.get("/workers", response_model=WorkerList, operation_id="ListWorkers")
async def list_engine_workers(
    project: CurrentProject, session: Session, state: State
) -> WorkerList:
    ttl_ms = int(state.settings.lease_ttl_seconds * 1000)
    return await list_workers(session, ttl_ms, project.project_id)
