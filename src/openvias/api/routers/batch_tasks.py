"""Task Center: batch tasks (Create/Update/Delete/List BatchTasks, BatchStartStopTask)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.api.routers.tasks import caller
from openvias.domain.task_states import Command
from openvias.schemas.batch_tasks import (
    BatchTaskCreate,
    BatchTaskList,
    BatchTaskResult,
    BatchTaskUpdate,
)
from openvias.services.batch_task_queries import BatchFilter, list_batch_tasks
from openvias.services.batch_tasks import BatchTaskService

router = APIRouter(prefix="/v2/{project_id}", tags=["Task Center"], responses=PROJECT_ERRORS)

BatchIdPath = Annotated[str, Path(pattern=r"^[a-z0-9-_]{4,36}$")]
LowerState = Literal[
    "pending",
    "recovering",
    "starting",
    "upgrading",
    "create_failed",
    "start_failed",
    "running",
    "stopping",
    "stopped",
    "abnormal",
    "succeeded",
    "failed",
    "deleting",
    "freezing",
    "frozen",
    "stopped_no_service",
    "scheduling",
    "lack_of_resources",
]


@router.post("/batch-tasks", response_model=BatchTaskResult, operation_id="CreateBatchTask")
async def create_batch_task(
    body: BatchTaskCreate, project: CurrentProject, session: Session
) -> BatchTaskResult:
    return await BatchTaskService(session, caller(project)).create(body)


@router.put(
    "/batch-tasks/{id}/action/{command}",
    response_model=BatchTaskResult,
    operation_id="BatchStartStopTask",
)
async def batch_start_stop(
    id: BatchIdPath,
    command: Literal["start", "stop"],
    project: CurrentProject,
    session: Session,
) -> BatchTaskResult:
    return await BatchTaskService(session, caller(project)).command(id, Command(command))


@router.put("/batch-tasks/{id}", response_model=BatchTaskResult, operation_id="UpdateBatchTask")
async def update_batch_task(
    id: BatchIdPath, body: BatchTaskUpdate, project: CurrentProject, session: Session
) -> BatchTaskResult:
    return await BatchTaskService(session, caller(project)).update(id, body)


@router.delete("/batch-tasks/{id}", response_model=BatchTaskResult, operation_id="DeleteBatchTask")
async def delete_batch_task(
    id: BatchIdPath, project: CurrentProject, session: Session
) -> BatchTaskResult:
    return await BatchTaskService(session, caller(project)).delete(id)


@router.get("/batch-tasks", response_model=BatchTaskList, operation_id="ListBatchTasks")
async def list_batch_tasks_route(
    project: CurrentProject,
    session: Session,
    is_paged: bool = True,
    page_size: Annotated[int, Query(ge=5, le=200)] = 10,
    page_num: Annotated[int, Query(ge=1, le=10000)] = 1,
    order_by: Literal["asc", "desc"] = "desc",
    sort_name: Literal["task_count", "created_at"] = "created_at",
    video_group: Annotated[
        str | None,
        Query(min_length=1, max_length=1000, pattern=r"^[a-zA-Z0-9\u4e00-\u9fa5,\-_]{1,1000}$"),
    ] = None,
    task_state: LowerState | None = None,
    type_like: Literal["batch_task_name", "publish_service_name"] | None = None,
    name_like: Annotated[str | None, Query(max_length=100)] = None,
    manufacturer: Annotated[
        str | None,
        Query(min_length=2, max_length=64, pattern=r"^[a-zA-Z0-9\u4e00-\u9fa5,\-_]{2,64}$"),
    ] = None,
    title: Annotated[
        str | None,
        Query(min_length=2, max_length=64, pattern=r"^[a-zA-Z0-9\u4e00-\u9fa5,\-_]{2,64}$"),
    ] = None,
) -> BatchTaskList:
    by_service = type_like == "publish_service_name"
    batch_filter = BatchFilter(
        name_like=None if by_service else name_like,
        service_name_like=name_like if by_service else None,
        title=title,
        manufacturer=manufacturer,
        group_names=[g for g in (video_group or "").split(",") if g],
        states=[task_state] if task_state else [],
        sort=sort_name,
        descending=order_by == "desc",
    )
    limit, offset = (page_size, (page_num - 1) * page_size) if is_paged else (None, 0)
    return await list_batch_tasks(
        session, project.project_id, batch_filter, limit=limit, offset=offset
    )
