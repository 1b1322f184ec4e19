"""The VAS legacy task API (``/v2/{project_id}/services/{service_name}/tasks[...]``, what
``huaweicloudsdkvas`` calls) over the same tasks as the VIAS Task Center.

Every operation is scoped by ``service_name``: an unknown service, or a task of another
service, is 404 (the VAS definitions answer 404 for "Service x not found"). Tasks created
here have ``api_flavor`` "vas"; any task of the service is visible here and through VIAS.
"""

from __future__ import annotations

from typing import Any

from openvias.domain import task_states
from openvias.domain.algorithm_catalogue import ServiceSpec, find_service
from openvias.domain.clock import now_ms
from openvias.domain.task_states import Command, TaskState
from openvias.errors import Conflict, InvalidParameter, NotFound, TaskNotFound
from openvias.schemas.vas import (
    VasServiceConfig,
    VasTaskCreate,
    VasTaskUpdate,
)
from openvias.schemas.vas_responses import (
    VasTaskDetails,
    VasTaskList,
)
from openvias.services.algorithms import require_deployed, validated_config
from openvias.services.edge_pools import require_edge_pool
from openvias.services.task_views import EffectiveTask
from openvias.services.tasks import TASKS_CHANGED, TaskService, TaskStateConflict, task_row
from openvias.services.vas_views import stored_input, stored_timing, task_details
from openvias.store.models import BatchTask, Task
from openvias.store.repositories.tasks import enqueue
from openvias.store.repositories.vas_tasks import ServiceTaskQuery, page_service_tasks


def vas_service(service_name: str, service_version: str | None = None) -> ServiceSpec:
    """The catalogue service ``service_name`` (canonical name), in ``service_version`` when
    given; NotFound otherwise."""
    spec = find_service(service_name)
    if spec is None or spec.service_name != service_name:
        raise NotFound(f"Service {service_name} not found.", param="service_name")
    if service_version is not None and service_version not in spec.versions:
        raise NotFound(
            f"Service {service_name}/{service_version} not found; "
            f"versions: {', '.join(spec.versions)}.",
            param="service_version",
        )
    return spec


def vas_config(spec: ServiceSpec, config: VasServiceConfig | None) -> dict[str, Any]:
    """``validated_config`` with the errors naming ``service_config`` (the VAS field)."""
    try:
        return validated_config(spec, config.model_dump(exclude_none=True) if config else None)
    except InvalidParameter as exc:
        raise InvalidParameter(
            exc.message.replace("config.", "service_config.", 1),
            detail=exc.detail,
            param=f"service_{exc.param}" if exc.param else "service_config",
        ) from exc


class VasTaskService(TaskService):
    async def _in_service(self, spec: ServiceSpec, task_id: str) -> Task:
        task = await self._require(task_id)
        if task.service_name != spec.service_name:
            raise TaskNotFound(
                f"Task {task_id} does not belong to service {spec.service_name}.",
                param="task_id",
            )
        return task

    async def _details(
        self, task: Task, sources: dict[str, str | None], *, with_hosting: bool = False
    ) -> VasTaskDetails:
        batch = await self.session.get(BatchTask, task.batch_id) if task.batch_id else None
        source_id = task.video_source_id
        if source_id is not None and source_id not in sources:
            source = await self.sources.get(self.caller.project_id, source_id)
            sources[source_id] = source.stream_path if source else None
        return task_details(
            EffectiveTask.of(task, batch),
            source_url=sources.get(source_id) if source_id else None,
            with_hosting=with_hosting,
        )

    async def create_from_vas(self, service_name: str, body: VasTaskCreate) -> list[str]:
        """CreateTasks: one task per ``input.data`` entry, queued to run (PENDING)."""
        spec = vas_service(service_name, body.service_version)
        config = vas_config(spec, body.service_config)
        await require_deployed(self.session, self.caller.project_id, spec)
        await self._order_check(spec, body.resource_order_id, len(body.input.data))
        if body.edge_pool_id is not None:
            await require_edge_pool(self.session, self.caller.project_id, body.edge_pool_id)
        now = now_ms()
        created = task_states.on_create(start=True)
        schedule = stored_timing(body.timing) if body.timing else None
        rows: list[dict[str, Any]] = []
        for entry in body.input.data:
            task_input = stored_input(body.input, entry, body.edge_pool_id)
            rows.append(
                task_row(
                    self.caller,
                    created,
                    now,
                    name=body.name,
                    description=body.description,
                    service_name=spec.service_name,
                    service_version=body.service_version,
                    task_input=task_input,
                    api_flavor="vas",
                    config=config,
                    output=body.output.stored(),
                    schedule=schedule,
                    resource_order_id=body.resource_order_id,
                    edge_pool_id=body.edge_pool_id,
                )
            )
        return await self.insert_new(rows, now)

    async def update_from_vas(
        self, service_name: str, task_id: str, body: VasTaskUpdate
    ) -> VasTaskDetails:
        """UpdateTask: only the fields given change; the task keeps its state."""
        spec = vas_service(service_name)
        task = await self._in_service(spec, task_id)
        if task.batch_id is not None:
            raise Conflict(
                f"Task {task_id} belongs to batch task {task.batch_id}; update the batch task.",
                param="task_id",
            )
        if task.state in (TaskState.DELETING, TaskState.STOPPING):
            raise TaskStateConflict(f"Task {task_id} is {task.state}.")
        if body.input is not None:
            if task.input_type == "video_source":
                raise InvalidParameter(
                    "A video_source task cannot switch to another input type.",
                    param="input.type",
                )
            task.input = stored_input(
                body.input, body.input.data[0], task.input.get("edge_pool_id")
            )
            task.input_type = task.input["type"]
        if body.service_config is not None:
            task.config = vas_config(spec, body.service_config)
        if body.name is not None:
            task.name = body.name
        if body.description is not None:
            task.description = body.description
        if body.output is not None:
            task.output = body.output.stored()
        if body.timing is not None:
            task.schedule = stored_timing(body.timing)
        task.updated_at = now_ms()
        await enqueue(
            self.session, TASKS_CHANGED, task.id, {"task_ids": [task.id]}, task.updated_at
        )
        await self.session.flush()
        return await self._details(task, {})

    async def show_in_service(self, service_name: str, task_id: str) -> VasTaskDetails:
        task = await self._in_service(vas_service(service_name), task_id)
        return await self._details(task, {}, with_hosting=True)

    async def list_in_service(
        self, query: ServiceTaskQuery, *, offset: int, limit: int
    ) -> VasTaskList:
        vas_service(query.service_name)
        rows, total = await page_service_tasks(
            self.session, self.caller.project_id, query, limit=limit, offset=offset
        )
        sources: dict[str, str | None] = {}
        return VasTaskList(count=total, tasks=[await self._details(t, sources) for t in rows])

    async def command_in_service(self, service_name: str, task_id: str, command: Command) -> None:
        """StartTask / StopTask / DeleteTask of a task of ``service_name``."""
        await self._in_service(vas_service(service_name), task_id)
        if command is Command.DELETE:
            await self.delete(task_id)
        else:
            await self.command(task_id, command)
