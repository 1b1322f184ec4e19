"""Task Center: single tasks (StartStopTask, UpdateTask, ListTasks, DeleteTask, ShowTaskInfo).

CreateTask shares its path with VAS CreateTasks: its route is in ``openvias.api.routers.vas``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.domain.algorithm_catalogue import CATALOGUE
from openvias.domain.task_states import Command, TaskState
from openvias.schemas.tasks import TaskActionResult, TaskInfo, TaskList, TaskUpdate
from openvias.services.tasks import Caller, TaskService
from openvias.store.repositories.tasks import TaskFilter

router = APIRouter(prefix="/v2/{project_id}", tags=["Task Center"], responses=PROJECT_ERRORS)

TaskIdPath = Annotated[str, Path(pattern=r"^[a-z0-9-_]{4,36}$")]


def caller(project: CurrentProject) -> Caller:
    return Caller(project.project_id, project.principal.user_name)


@router.put(
    "/tasks/{task_id}/action/{command}",
    response_model=TaskActionResult,
    operation_id="StartStopTask",
)
async def start_stop_task(
    task_id: TaskIdPath,
    command: Literal["start", "stop"],
    project: CurrentProject,
    session: Session,
) -> TaskActionResult:
    task = await TaskService(session, caller(project)).command(task_id, Command(command))
    return TaskActionResult(id=task.id)


@router.put("/tasks/{task_id}", response_model=TaskActionResult, operation_id="UpdateTask")
async def update_task(
    task_id: TaskIdPath, body: TaskUpdate, project: CurrentProject, session: Session
) -> TaskActionResult:
    task = await TaskService(session, caller(project)).update(task_id, body)
    return TaskActionResult(id=task.id)


@router.delete("/tasks/{task_id}", response_model=TaskActionResult, operation_id="DeleteTask")
async def delete_task(
    task_id: TaskIdPath, project: CurrentProject, session: Session
) -> TaskActionResult:
    await TaskService(session, caller(project)).delete(task_id)
    return TaskActionResult(id=task_id)


@router.get(
    "/tasks/{task_id}",
    response_model=TaskInfo,
    response_model_exclude_none=True,
    operation_id="ShowTaskInfo",
)
async def show_task(task_id: TaskIdPath, project: CurrentProject, session: Session) -> TaskInfo:
    return await TaskService(session, caller(project)).show(task_id)


@router.get("/tasks", response_model=TaskList, operation_id="ListTasks")
async def list_tasks(
    project: CurrentProject,
    session: Session,
    source_data_type: Literal["async_task", "sync_task"] | None = None,
    title: Annotated[str | None, Query(pattern=r"^[a-zA-Z0-9\u4e00-\u9fa5\-_,]{2,64}$")] = None,
    camera_name: Annotated[str | None, Query(max_length=255)] = None,
    task_state: TaskState | None = None,
    task_name: Annotated[str | None, Query(max_length=1024)] = None,
    page_size: Annotated[int, Query(ge=5, le=1000)] = 10,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    sort_dir: Literal["desc", "asc"] = "desc",
    batch_id: Annotated[str | None, Query(pattern=r"^[a-z0-9-_]{4,36}$")] = None,
    video_group_id: Annotated[str | None, Query(pattern=r"^[a-z0-9-_,]{4,2048}$")] = None,
    company: Annotated[str | None, Query(pattern=r"^[\u4E00-\u9FA5a-zA-Z0-9,_-]{0,100}$")] = None,
    alg_id: Annotated[
        str | None,
        Query(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[4][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
    ] = None,
) -> TaskList:
    service_names: list[str] | None = None
    if title or alg_id:
        service_names = [
            spec.service_name
            for spec in CATALOGUE.values()
            if (not title or title in spec.title_zh or title in spec.title_en)
            and (not alg_id or spec.alg_id == alg_id)
        ]
    vendors = {name.lower() for name in (company or "").split(",") if name}
    if source_data_type == "sync_task" or (vendors and not {"openvias", "vias"} & vendors):
        service_names = []
    task_filter = TaskFilter(
        states=[task_state.value] if task_state else [],
        name_like=task_name,
        camera_name_like=camera_name,
        batch_id=batch_id,
        group_ids=[g for g in (video_group_id or "").split(",") if g],
        service_names=service_names,
        descending=sort_dir == "desc",
    )
    return await TaskService(session, caller(project)).list_page(
        task_filter, page=page, page_size=page_size
    )
