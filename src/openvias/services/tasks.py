"""Single tasks: create (one task per input entry), update, delete, show, list, start/stop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain import task_states
from openvias.domain.algorithm_catalogue import ServiceSpec
from openvias.domain.clock import now_ms
from openvias.domain.ids import new_hex_id
from openvias.domain.task_states import Command, InvalidTransition, TaskState
from openvias.errors import Conflict, InvalidParameter, ReferencedObjectMissing, TaskNotFound
from openvias.schemas.tasks import TaskCreate, TaskInfo, TaskInput, TaskList, TaskUpdate
from openvias.services.algorithms import (
    check_resource_order,
    require_deployed,
    require_service,
    validated_config,
)
from openvias.services.stream_health import status_note
from openvias.services.task_views import (
    EffectiveTask,
    delivery_note,
    task_info,
    task_list_item,
)
from openvias.services.templates import save_template
from openvias.store.models import BatchTask, Task
from openvias.store.repositories.delivery_queries import task_delivery_trouble
from openvias.store.repositories.stream_health import stream_of_task
from openvias.store.repositories.tasks import TaskFilter, TaskRepository, enqueue
from openvias.store.repositories.video_sources import VideoSourceRepository

TASKS_CHANGED = "tasks.changed"


@dataclass(frozen=True, slots=True)
class Caller:
    project_id: str
    user_name: str


class TaskStateConflict(Conflict):
    error_code = "VIAS.00010004"
    reason = "The task is not in a state that allows this operation."
    advice = "Wait until the task leaves its current state, then retry."


def transition(command: Command, state: str) -> task_states.Transition:
    try:
        return task_states.apply(command, TaskState(state))
    except InvalidTransition as exc:
        raise TaskStateConflict(str(exc).capitalize() + ".") from exc


def task_row(
    caller: Caller,
    start: task_states.Transition,
    now: int,
    *,
    name: str,
    description: str,
    service_name: str,
    service_version: str,
    task_input: dict[str, Any],
    api_flavor: str = "vias",
    batch_id: str | None = None,
    group_id: str | None = None,
    video_source_id: str | None = None,
    target_roi: str | None = None,
    config: dict[str, Any] | None = None,
    output: dict[str, Any] | None = None,
    schedule: dict[str, Any] | None = None,
    resource_order_id: str | None = None,
    edge_pool_id: str | None = None,
) -> dict[str, Any]:
    """One new task as a row for ``TaskRepository.insert_many`` (every row has every column)."""
    return {
        "id": new_hex_id(),
        "project_id": caller.project_id,
        "batch_id": batch_id,
        "group_id": group_id,
        "name": name,
        "description": description,
        "service_name": service_name,
        "service_version": service_version,
        "input_type": task_input["type"],
        "input": task_input,
        "video_source_id": video_source_id,
        "target_roi": target_roi,
        "config": config,
        "output": output,
        "schedule": schedule,
        "resource_order_id": resource_order_id,
        "edge_pool_id": edge_pool_id,
        "state": start.state.value,
        "desired_state": start.desired.value,
        "status": "",
        "api_flavor": api_flavor,
        "creator": caller.user_name,
        "created_at": now,
        "updated_at": now,
    }


class TaskService:
    def __init__(self, session: AsyncSession, caller: Caller) -> None:
        self.session = session
        self.caller = caller
        self.tasks = TaskRepository(session)
        self.sources = VideoSourceRepository(session)

    async def _require(self, task_id: str) -> Task:
        task = await self.tasks.get(self.caller.project_id, task_id)
        if task is None:
            raise TaskNotFound(f"No task is found based on the task ID {task_id}.", param="task_id")
        return task

    async def _check_input(self, task_input: TaskInput) -> None:
        if task_input.type != "video_source":
            return
        ids = [entry.video_source_id or "" for entry in task_input.data]
        missing = set(ids) - await self.sources.existing_ids(self.caller.project_id, ids)
        if missing:
            raise ReferencedObjectMissing(
                f"Video source {sorted(missing)[0]} does not exist.",
                param="input.data.video_source_id",
            )

    async def _order_of(self, task: Task) -> str | None:
        """The resource order a task runs under: its own, or its batch task's."""
        if task.resource_order_id is not None or task.batch_id is None:
            return task.resource_order_id
        batch = await self.session.get(BatchTask, task.batch_id)
        return batch.resource_order_id if batch is not None else None

    async def _order_check(self, spec: ServiceSpec, order_id: str | None, adding: int) -> None:
        await check_resource_order(self.session, self.caller.project_id, spec, order_id, adding)

    async def create(self, service_name: str, body: TaskCreate) -> list[str]:
        spec = require_service(service_name, body.service_version)
        config = validated_config(spec, body.effective_config())
        await self._check_input(body.input)
        await require_deployed(self.session, self.caller.project_id, spec)
        await self._order_check(spec, body.resource_order_id, len(body.input.data))
        now = now_ms()
        created = task_states.on_create(start=True)
        rows: list[dict[str, Any]] = []
        for entry in body.input.data:
            single: dict[str, Any] = {
                "type": body.input.type,
                "data": [entry.model_dump(exclude_none=True)],
            }
            if body.input.vcn is not None:
                single["vcn"] = body.input.vcn.model_dump()
            rows.append(
                task_row(
                    self.caller,
                    created,
                    now,
                    name=body.name,
                    description=body.description,
                    service_name=spec.service_name,
                    service_version=body.service_version,
                    task_input=single,
                    video_source_id=entry.video_source_id,
                    config=config,
                    output=body.output.stored(),
                    schedule=body.schedule.stored() if body.schedule else None,
                    resource_order_id=body.resource_order_id,
                )
            )
        ids = await self.insert_new(rows, now)
        if body.is_saved_as_template:
            await save_template(
                self.session,
                self.caller.project_id,
                name=body.name,
                service_name=spec.service_name,
                service_version=body.service_version,
                body={
                    "description": body.description,
                    "config": config,
                    "output": body.output.stored(),
                    "schedule": body.schedule.stored() if body.schedule else None,
                    "resource_order_id": body.resource_order_id,
                },
                now=now,
            )
        return ids

    async def insert_new(self, rows: list[dict[str, Any]], now: int) -> list[str]:
        """Store new tasks (rows from :func:`task_row`) and tell the engine about them."""
        await self.tasks.insert_many(rows)
        ids = [row["id"] for row in rows]
        await enqueue(self.session, TASKS_CHANGED, ids[0], {"task_ids": ids}, now)
        return ids

    async def update(self, task_id: str, body: TaskUpdate) -> Task:
        task = await self._require(task_id)
        if task.batch_id is not None:
            raise Conflict(
                f"Task {task_id} belongs to batch task {task.batch_id}; update the batch task.",
                param="task_id",
            )
        if task.state in (TaskState.DELETING, TaskState.STOPPING):
            raise TaskStateConflict(f"Task {task_id} is {task.state}.")
        if task.input_type == "video_source" and body.input.type != "video_source":
            raise InvalidParameter(
                "A video_source task cannot switch to another input type.", param="input.type"
            )
        spec = require_service(task.service_name, body.service_version or task.service_version)
        await self._check_input(body.input)
        config = body.effective_config()
        if config is not None:
            task.config = validated_config(spec, config)
        if body.resource_order_id is not None and body.resource_order_id != task.resource_order_id:
            active = task.state in {s.value for s in task_states.ACTIVE}
            await self._order_check(spec, body.resource_order_id, 1 if active else 0)
            task.resource_order_id = body.resource_order_id
        entry = body.input.data[0]
        task.name = body.name
        if "description" in body.model_fields_set:
            task.description = body.description
        task.input_type = body.input.type
        task.input = {"type": body.input.type, "data": [entry.model_dump(exclude_none=True)]}
        task.video_source_id = entry.video_source_id
        task.output = body.output.stored()
        if body.schedule is not None:
            task.schedule = body.schedule.stored()
        task.updated_at = now_ms()
        await enqueue(
            self.session, TASKS_CHANGED, task.id, {"task_ids": [task.id]}, task.updated_at
        )
        await self.session.flush()
        return task

    async def command(self, task_id: str, command: Command) -> Task:
        task = await self._require(task_id)
        step = transition(command, task.state)
        if command is Command.START and step.changed:
            spec = require_service(task.service_name, task.service_version)
            await self._order_check(spec, await self._order_of(task), 1)
        task.state = step.state.value
        task.desired_state = step.desired.value
        task.updated_at = now_ms()
        if command is Command.START:
            task.error_code = task.error_message = None
        await enqueue(
            self.session, TASKS_CHANGED, task.id, {"task_ids": [task.id]}, task.updated_at
        )
        await self.session.flush()
        return task

    async def delete(self, task_id: str) -> None:
        task = await self._require(task_id)
        transition(Command.DELETE, task.state)
        await enqueue(self.session, TASKS_CHANGED, task.id, {"task_ids": [task.id]}, now_ms())
        await self.tasks.delete(task)

    async def show(self, task_id: str) -> TaskInfo:
        task = await self._require(task_id)
        batch = await self.session.get(BatchTask, task.batch_id) if task.batch_id else None
        source = (
            await self.sources.get(self.caller.project_id, task.video_source_id)
            if task.video_source_id
            else None
        )
        groups = await self.tasks.group_names_of_source(source.id) if source else []
        data = (task.input.get("data") or [{}])[0]
        stream = await stream_of_task(self.session, self.caller.project_id, task.id)
        return task_info(
            EffectiveTask.of(task, batch),
            source_name=source.name if source else str(data.get("url") or ""),
            access_address=source.stream_path if source else str(data.get("url") or ""),
            group_names=groups,
            stream_note=status_note(stream, now_ms()) if stream is not None else "",
            delivery_note=delivery_note(await task_delivery_trouble(self.session, task.id)),
        )

    async def list_page(self, f: TaskFilter, *, page: int, page_size: int) -> TaskList:
        rows, total = await self.tasks.page(
            self.caller.project_id, f, limit=page_size, offset=(page - 1) * page_size
        )
        items = [task_list_item(task, name) for task, name in rows]
        return TaskList(count=len(items), page=page, page_size=page_size, total=total, tasks=items)
