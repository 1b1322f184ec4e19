"""The VAS v2 legacy task API (CreateTasks, ListTasksDetails, ShowTask, UpdateTask,
StartTask, StopTask, DeleteTask), which ``huaweicloudsdkvas`` calls, over the Task Center's
tasks; and the one route of ``POST /v2/{project_id}/services/{service_name}/tasks``, which is
both VIAS CreateTask and VAS CreateTasks (see ``openvias.schemas.vas.create_body_flavor``).
"""

from __future__ import annotations

import inspect
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Discriminator, Tag

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.api.routers.tasks import caller
from openvias.domain.task_states import Command
from openvias.schemas.tasks import TaskCreate, TaskIdItem, TasksCreated
from openvias.schemas.vas import (
    VAS_NAME_PATTERN,
    VAS_SERVICE_NAME_PATTERN,
    VAS_TASK_ID_PATTERN,
    VAS_VERSION_PATTERN,
    VasOrder,
    VasState,
    VasTaskCreate,
    VasTaskUpdate,
    create_body_flavor,
)
from openvias.schemas.vas_responses import (
    VasTaskDetails,
    VasTaskId,
    VasTaskList,
    VasTaskShown,
)
from openvias.services.tasks import TaskService
from openvias.services.vas import VasTaskService
from openvias.services.vas_views import stored_states
from openvias.store.repositories.vas_tasks import ServiceTaskQuery

router = APIRouter(
    prefix="/v2/{project_id}/services/{service_name}/tasks", responses=PROJECT_ERRORS
)

VAS_TAG = "VAS tasks (legacy)"
VasServicePath = Annotated[
    str, Path(min_length=2, max_length=100, pattern=VAS_SERVICE_NAME_PATTERN)
]
VasTaskIdPath = Annotated[str, Path(pattern=VAS_TASK_ID_PATTERN)]
#: The VIAS CreateTask pattern: a superset of the VAS one (titles and aliases too).
CreateServicePath = Annotated[
    str, Path(min_length=1, max_length=100, pattern=r"^[a-zA-Z0-9\u4e00-\u9fa5,\-_]{1,100}$")
]
ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"description": "Accepted; no body."}}


# -- the shared create route ----------------------------------------------------------------

_SIGNED: ContextVar[bool] = ContextVar("openvias_create_signed", default=False)
#: Union tags. Validation errors carry the tag in their location; the error handler drops
#: numeric parts (list indexes), so numeric tags keep ``params`` naming the body field.
VIAS_BODY, VAS_BODY = "0", "1"


async def note_signature(request: Request) -> None:
    """Runs before the body is validated (FastAPI solves dependencies first)."""
    authorization = request.headers.get("authorization", "")
    _SIGNED.set(authorization.startswith("SDK-HMAC-SHA256"))


def _any_of(schema: dict[str, Any]) -> None:
    """A body both operations accept matches both schemas, so ``anyOf``, not ``oneOf``."""
    if "oneOf" in schema:
        schema["anyOf"] = schema.pop("oneOf")


def _body_tag(body: Any) -> str:
    return VAS_BODY if create_body_flavor(body, signed=_SIGNED.get()) == "vas" else VIAS_BODY


CreateBody = Annotated[
    Annotated[TaskCreate, Tag(VIAS_BODY)] | Annotated[VasTaskCreate, Tag(VAS_BODY)],
    Discriminator(_body_tag),
    Body(
        description="A VIAS CreateTask body (TaskCreate) or a VAS CreateTasks body "
        "(VasTaskCreate); see the operation description for how they are told apart.",
        json_schema_extra=_any_of,
    ),
]


@router.post(
    "",
    operation_id="CreateTask",
    tags=["Task Center", VAS_TAG],
    summary="Create tasks (VIAS CreateTask and VAS CreateTasks)",
    description=inspect.cleandoc(create_body_flavor.__doc__ or ""),
    dependencies=[Depends(note_signature)],
    response_model=None,
    responses={
        200: {"model": TasksCreated, "description": "VIAS CreateTask: the tasks created."},
        201: {"model": list[VasTaskId], "description": "VAS CreateTasks: the tasks created."},
    },
)
async def create_task(
    service_name: CreateServicePath, body: CreateBody, project: CurrentProject, session: Session
) -> Response:
    if isinstance(body, VasTaskCreate):
        ids = await VasTaskService(session, caller(project)).create_from_vas(service_name, body)
        return JSONResponse([{"id": task_id} for task_id in ids], status_code=201)
    ids = await TaskService(session, caller(project)).create(service_name, body)
    created = TasksCreated(tasks=[TaskIdItem(id=task_id) for task_id in ids])
    return JSONResponse(created.model_dump(), status_code=200)


# -- VAS only -------------------------------------------------------------------------------


@router.get(
    "",
    response_model=VasTaskList,
    response_model_exclude_none=True,
    operation_id="ListTasksDetails",
    tags=[VAS_TAG],
)
async def list_tasks_details(
    service_name: VasServicePath,
    project: CurrentProject,
    session: Session,
    service_version: Annotated[str | None, Query(pattern=VAS_VERSION_PATTERN)] = None,
    state: VasState | None = None,
    name_like: Annotated[str | None, Query(pattern=VAS_NAME_PATTERN)] = None,
    id_like: Annotated[str | None, Query(pattern=r"^[0-9a-z]{1,32}$")] = None,
    created_since: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    created_until: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    order: VasOrder = "created_at:DESC",
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> VasTaskList:
    sort, direction = order.split(":")
    query = ServiceTaskQuery(
        service_name=service_name,
        service_version=service_version,
        states=stored_states(state) if state else (),
        name_like=name_like,
        id_like=id_like,
        created_since=created_since,
        created_until=created_until,
        sort="name" if sort == "name" else "updated_at" if sort == "updated_at" else "created_at",
        descending=direction == "DESC",
    )
    return await VasTaskService(session, caller(project)).list_in_service(
        query, offset=offset, limit=limit
    )


@router.get(
    "/{task_id}",
    response_model=VasTaskShown,
    response_model_exclude_none=True,
    operation_id="ShowTask",
    tags=[VAS_TAG],
)
async def show_task(
    service_name: VasServicePath, task_id: VasTaskIdPath, project: CurrentProject, session: Session
) -> VasTaskDetails:
    return await VasTaskService(session, caller(project)).show_in_service(service_name, task_id)


@router.put(
    "/{task_id}",
    response_model=VasTaskDetails,
    response_model_exclude_none=True,
    operation_id="VasUpdateTask",
    tags=[VAS_TAG],
    summary="UpdateTask (VAS)",
)
async def update_task(
    service_name: VasServicePath,
    task_id: VasTaskIdPath,
    body: VasTaskUpdate,
    project: CurrentProject,
    session: Session,
) -> VasTaskDetails:
    return await VasTaskService(session, caller(project)).update_from_vas(
        service_name, task_id, body
    )


async def _command(
    service_name: str, task_id: str, command: Command, project: CurrentProject, session: Session
) -> Response:
    service = VasTaskService(session, caller(project))
    await service.command_in_service(service_name, task_id, command)
    return Response(status_code=202)


@router.post(
    "/{task_id}/start",
    status_code=202,
    response_class=Response,
    responses=ACCEPTED,
    operation_id="StartTask",
    tags=[VAS_TAG],
)
async def start_task(
    service_name: VasServicePath, task_id: VasTaskIdPath, project: CurrentProject, session: Session
) -> Response:
    return await _command(service_name, task_id, Command.START, project, session)


@router.post(
    "/{task_id}/stop",
    status_code=202,
    response_class=Response,
    responses=ACCEPTED,
    operation_id="StopTask",
    tags=[VAS_TAG],
)
async def stop_task(
    service_name: VasServicePath, task_id: VasTaskIdPath, project: CurrentProject, session: Session
) -> Response:
    return await _command(service_name, task_id, Command.STOP, project, session)


@router.delete(
    "/{task_id}",
    status_code=202,
    response_class=Response,
    responses=ACCEPTED,
    operation_id="VasDeleteTask",
    tags=[VAS_TAG],
    summary="DeleteTask (VAS)",
)
async def delete_task(
    service_name: VasServicePath, task_id: VasTaskIdPath, project: CurrentProject, session: Session
) -> Response:
    return await _command(service_name, task_id, Command.DELETE, project, session)
