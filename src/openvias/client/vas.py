"""The VAS v2 task routes (``/services/{service_name}/tasks``), and CreateTask, which the
VIAS and VAS flavours share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, overload

from pydantic import TypeAdapter

from openvias.client.base import Operations, QueryValue, body_json, iterate_pages, query, segment
from openvias.schemas.tasks import TaskCreate, TasksCreated
from openvias.schemas.vas import VasTaskCreate, VasTaskUpdate
from openvias.schemas.vas_responses import VasTaskDetails, VasTaskId, VasTaskList, VasTaskShown

_VAS_IDS = TypeAdapter(list[VasTaskId])


class VasOperations(Operations):
    @overload
    def create_task(self, service_name: str, body: TaskCreate) -> TasksCreated: ...
    @overload
    def create_task(self, service_name: str, body: VasTaskCreate) -> list[VasTaskId]: ...

    def create_task(
        self, service_name: str, body: TaskCreate | VasTaskCreate
    ) -> TasksCreated | list[VasTaskId]:
        """VIAS CreateTask with a :class:`TaskCreate` (answers ``{"tasks": [{"id"}]}``),
        VAS CreateTasks with a :class:`VasTaskCreate` (answers ``[{"id"}]``)."""
        path = f"/services/{segment(service_name)}/tasks"
        if isinstance(body, TaskCreate):
            # is_saved_as_template (never None) marks the body as VIAS for the server.
            return self._call(TasksCreated, "POST", path, json=body_json(TaskCreate, body))
        answer = self._send("POST", path, json=body_json(VasTaskCreate, body)).json()
        # A body either flavour could mean (a url input, a webhook output) is VIAS unless
        # AK/SK-signed: the same tasks were created, only the answer's shape differs.
        if isinstance(answer, dict):
            return [VasTaskId(id=item.id) for item in TasksCreated.model_validate(answer).tasks]
        return _VAS_IDS.validate_python(answer)

    def list_tasks_details(
        self,
        service_name: str,
        *,
        offset: int | None = None,
        limit: int | None = None,
        **filters: QueryValue,
    ) -> VasTaskList:
        """``filters``: ``service_version``, ``state``, ``name_like``, ``id_like``,
        ``created_since``, ``created_until``, ``order``."""
        params = query(offset=offset, limit=limit, **filters)
        path = f"/services/{segment(service_name)}/tasks"
        return self._call(VasTaskList, "GET", path, params=params)

    def iter_tasks_details(
        self, service_name: str, *, page_size: int = 100, **filters: QueryValue
    ) -> Iterator[VasTaskDetails]:
        def fetch(index: int) -> list[VasTaskDetails]:
            offset = index * page_size
            return self.list_tasks_details(
                service_name, offset=offset, limit=page_size, **filters
            ).tasks

        return iterate_pages(fetch, page_size)

    def show_task(self, service_name: str, task_id: str) -> VasTaskShown:
        path = f"/services/{segment(service_name)}/tasks/{segment(task_id)}"
        return self._call(VasTaskShown, "GET", path)

    def vas_update_task(
        self, service_name: str, task_id: str, body: VasTaskUpdate | Mapping[str, Any]
    ) -> VasTaskDetails:
        path = f"/services/{segment(service_name)}/tasks/{segment(task_id)}"
        return self._call(VasTaskDetails, "PUT", path, json=body_json(VasTaskUpdate, body))

    def vas_delete_task(self, service_name: str, task_id: str) -> None:
        self._send("DELETE", f"/services/{segment(service_name)}/tasks/{segment(task_id)}")

    def start_task(self, service_name: str, task_id: str) -> None:
        path = f"/services/{segment(service_name)}/tasks/{segment(task_id)}/start"
        self._send("POST", path)

    def stop_task(self, service_name: str, task_id: str) -> None:
        path = f"/services/{segment(service_name)}/tasks/{segment(task_id)}/stop"
        self._send("POST", path)
