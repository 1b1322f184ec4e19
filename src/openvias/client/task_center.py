"""Task Center: tasks (VIAS CreateTask shares its route with VAS CreateTasks, see
``vas.py``), batch tasks and task templates (an openvias extension)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from openvias.client.base import Operations, QueryValue, body_json, iterate_pages, query, segment
from openvias.schemas.batch_tasks import (
    BatchTaskCreate,
    BatchTaskItem,
    BatchTaskList,
    BatchTaskResult,
    BatchTaskUpdate,
)
from openvias.schemas.tasks import TaskActionResult, TaskInfo, TaskList, TaskListItem, TaskUpdate
from openvias.schemas.templates import BatchTaskFromTemplate, TemplateInfo, TemplateList

Command = Literal["start", "stop"]


class TaskCenterOperations(Operations):
    def start_stop_task(self, task_id: str, command: Command) -> TaskActionResult:
        path = f"/tasks/{segment(task_id)}/action/{segment(command)}"
        return self._call(TaskActionResult, "PUT", path)

    def update_task(self, task_id: str, body: TaskUpdate | Mapping[str, Any]) -> TaskActionResult:
        path = f"/tasks/{segment(task_id)}"
        return self._call(TaskActionResult, "PUT", path, json=body_json(TaskUpdate, body))

    def delete_task(self, task_id: str) -> TaskActionResult:
        return self._call(TaskActionResult, "DELETE", f"/tasks/{segment(task_id)}")

    def show_task_info(self, task_id: str) -> TaskInfo:
        return self._call(TaskInfo, "GET", f"/tasks/{segment(task_id)}")

    def list_tasks(
        self, *, page: int | None = None, page_size: int | None = None, **filters: QueryValue
    ) -> TaskList:
        """``filters``: ``task_state``, ``task_name``, ``batch_id``, ``video_group_id``,
        ``alg_id``, ``camera_name``, ``sort_dir`` ..."""
        params = query(page=page, page_size=page_size, **filters)
        return self._call(TaskList, "GET", "/tasks", params=params)

    def iter_tasks(self, *, page_size: int = 100, **filters: QueryValue) -> Iterator[TaskListItem]:
        def fetch(index: int) -> list[TaskListItem]:
            return self.list_tasks(page=index + 1, page_size=page_size, **filters).tasks

        return iterate_pages(fetch, page_size)

    def create_batch_task(self, body: BatchTaskCreate | Mapping[str, Any]) -> BatchTaskResult:
        json = body_json(BatchTaskCreate, body)
        return self._call(BatchTaskResult, "POST", "/batch-tasks", json=json)

    def list_batch_tasks(
        self,
        *,
        page_num: int | None = None,
        page_size: int | None = None,
        is_paged: bool | None = None,
        **filters: QueryValue,
    ) -> BatchTaskList:
        """``filters``: ``video_group``, ``task_state``, ``name_like``, ``type_like``,
        ``sort_name``, ``order_by`` ..."""
        params = query(page_num=page_num, page_size=page_size, is_paged=is_paged, **filters)
        return self._call(BatchTaskList, "GET", "/batch-tasks", params=params)

    def iter_batch_tasks(
        self, *, page_size: int = 100, **filters: QueryValue
    ) -> Iterator[BatchTaskItem]:
        def fetch(index: int) -> list[BatchTaskItem]:
            listed = self.list_batch_tasks(
                page_num=index + 1, page_size=page_size, is_paged=True, **filters
            )
            return listed.batch_task_list

        return iterate_pages(fetch, page_size)

    def batch_start_stop_task(self, batch_id: str, command: Command) -> BatchTaskResult:
        path = f"/batch-tasks/{segment(batch_id)}/action/{segment(command)}"
        return self._call(BatchTaskResult, "PUT", path)

    def update_batch_task(
        self, batch_id: str, body: BatchTaskUpdate | Mapping[str, Any]
    ) -> BatchTaskResult:
        json = body_json(BatchTaskUpdate, body)
        return self._call(BatchTaskResult, "PUT", f"/batch-tasks/{segment(batch_id)}", json=json)

    def delete_batch_task(self, batch_id: str) -> BatchTaskResult:
        return self._call(BatchTaskResult, "DELETE", f"/batch-tasks/{segment(batch_id)}")

    def list_templates(
        self, *, page_num: int | None = None, page_size: int | None = None
    ) -> TemplateList:
        params = query(page_num=page_num, page_size=page_size)
        return self._call(TemplateList, "GET", "/templates", params=params)

    def iter_templates(self, *, page_size: int = 100) -> Iterator[TemplateInfo]:
        def fetch(index: int) -> list[TemplateInfo]:
            return self.list_templates(page_num=index + 1, page_size=page_size).templates

        return iterate_pages(fetch, page_size)

    def show_template(self, template_id: str) -> TemplateInfo:
        return self._call(TemplateInfo, "GET", f"/templates/{segment(template_id)}")

    def delete_template(self, template_id: str) -> None:
        self._send("DELETE", f"/templates/{segment(template_id)}")

    def create_batch_task_from_template(
        self, template_id: str, body: BatchTaskFromTemplate | Mapping[str, Any]
    ) -> BatchTaskResult:
        path = f"/templates/{segment(template_id)}/batch-tasks"
        json = body_json(BatchTaskFromTemplate, body)
        return self._call(BatchTaskResult, "POST", path, json=json)
