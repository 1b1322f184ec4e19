"""How a stored task is shown: the effective configuration (batch members inherit from
their batch) and the ShowTaskInfo / ListTasks shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openvias.domain.algorithm_catalogue import ServiceSpec, find_service
from openvias.schemas.tasks import TaskError, TaskInfo, TaskListItem
from openvias.services.rendering import shown
from openvias.store.models import BatchTask, Task
from openvias.store.repositories.delivery_queries import TaskDeliveryTrouble

COMPANY = "openvias"
#: Stored states that ShowTaskInfo/ListTasks items may not carry (their ``state`` pattern
#: lacks them: ListTasks only filters by them), and what is shown instead; ``status`` tells.
_SHOWN_STATE = {"SCHEDULING": "PENDING", "LACK_OF_RESOURCES": "START_FAILED"}
_STATUS = {
    "SCHEDULING": "SCHEDULING: waiting for the next window of its schedule.",
    "LACK_OF_RESOURCES": "LACK_OF_RESOURCES: no analysis capacity left.",
}


def shown_state(state: str) -> str:
    return _SHOWN_STATE.get(state, state)


def state_status(task: Task) -> str:
    """``status`` before the notes: why a task waits for capacity (the engine's leader
    writes it), else the task's own text, else what its stored state means."""
    if task.state == "LACK_OF_RESOURCES" and task.error_message:
        return f"LACK_OF_RESOURCES: {task.error_message}"
    return task.status or _STATUS.get(task.state, "")


@dataclass(frozen=True, slots=True)
class EffectiveTask:
    """A task with what it inherits from its batch resolved."""

    task: Task
    config: dict[str, Any]
    output: dict[str, Any]
    schedule: dict[str, Any] | None
    resource_order_id: str | None
    #: A batch member changes when its batch does (the batch's row holds what it inherits).
    updated_at: int

    @classmethod
    def of(cls, task: Task, batch: BatchTask | None) -> EffectiveTask:
        config = dict(task.config if task.config is not None else (batch.config if batch else {}))
        if task.target_roi is not None:
            common = dict(config.get("common") or {})
            common["target_roi"] = task.target_roi
            config["common"] = common
        return cls(
            task=task,
            config=config or {"common": {}},
            output=task.output if task.output is not None else (batch.output if batch else {}),
            schedule=task.schedule
            if task.schedule is not None
            else (batch.schedule if batch else None),
            resource_order_id=task.resource_order_id
            or (batch.resource_order_id if batch else None),
            updated_at=max(task.updated_at, batch.updated_at if batch else 0),
        )


def iso_ms(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def spec_of(task: Task) -> ServiceSpec | None:
    return find_service(task.service_name)


def deploy_type_code(spec: ServiceSpec | None) -> str:
    return "1" if spec is not None and spec.deploy_type == "edge" else "0"


def task_info(
    effective: EffectiveTask,
    *,
    source_name: str,
    access_address: str,
    group_names: list[str],
    stream_note: str = "",
    delivery_note: str = "",
) -> TaskInfo:
    """``delivery_note`` (openvias): alarms not getting through; ``stream_note``: how the
    task's stream does (``status_note`` of ``services/stream_health.py``). Both are
    appended to ``status``, in that order."""
    task = effective.task
    spec = spec_of(task)
    error = (
        TaskError(code=task.error_code, message=task.error_message or task.error_code)
        if task.error_code
        else None
    )
    fields = {
        "id": task.id,
        "name": task.name,
        "description": task.description,
        "project_id": task.project_id,
        "creator": task.creator or "unknown",
        "company": COMPANY,
        "service_id": spec.service_id if spec else "",
        "release_id": spec.service_id if spec else "",
        "algorithm_publish_id": spec.alg_id if spec else "",
        "service_name": task.service_name,
        "service_version": task.service_version,
        "title": spec.title_zh if spec else task.service_name,
        "type": deploy_type_code(spec),
        "state": shown_state(task.state),
        "status": "; ".join(
            part for part in (state_status(task), delivery_note, stream_note) if part
        ),
        "created_at": iso_ms(task.created_at),
        "updated_at": iso_ms(effective.updated_at),
        "input": task.input,
        "output": effective.output,
        "config": effective.config,
        "schedule": effective.schedule,
        "schedule_status": "ACTIVATED" if effective.schedule else "INACTIVATED",
        "resource_order_id": effective.resource_order_id,
        "video_source_name": source_name,
        "access_address": access_address,
        "group_name": ",".join(group_names),
        "batch_id": task.batch_id,
        "error": error,
    }
    return TaskInfo.model_validate(shown(fields, what=f"task {task.id}"))


def delivery_note(trouble: TaskDeliveryTrouble) -> str:
    """How the task's alarms are failing to get out, for ``status`` (``docs/design/delivery.md``);
    empty when nothing is failing."""
    parts = []
    if trouble.dead:
        parts.append(f"{trouble.dead} dead")
    if trouble.retrying:
        parts.append(f"{trouble.retrying} retrying")
    if not parts:
        return ""
    note = f"DELIVERY_FAILING: alarm deliveries {', '.join(parts)}"
    if trouble.last_error:
        note += f", last error: {trouble.last_error[:200]}"
    return note + " (GET /v2/{project_id}/deliveries?task_id=...)."


def task_list_item(task: Task, source_name: str | None) -> TaskListItem:
    spec = spec_of(task)
    return TaskListItem(
        id=task.id,
        name=task.name,
        state=shown_state(task.state),
        created_at=str(task.created_at),
        algorithm_publish_id=spec.alg_id if spec else "",
        service_id=spec.service_id if spec else "",
        title=spec.title_zh if spec else task.service_name,
        type=deploy_type_code(spec),
        video_source_name=shown(source_name or _input_label(task), what=f"task {task.id}"),
        batch_id=task.batch_id,
    )


def _input_label(task: Task) -> str:
    data = (task.input.get("data") or [{}])[0]
    return str(data.get("url") or data.get("path") or data.get("stream_name") or "")
