"""Helpers of the Task Center tests: a thin client over tasks, batch tasks and templates that
checks every answer (200 bodies against the operation's schema in Huawei's definitions,
failures against ``ErrorResponse``), and builders of valid request bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from tests import spec
from tests.api.video_center import VideoCenter, unique
from tests.support import Server

SMOKE = "c-smoke-and-fire-cloud"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
WEBHOOK = {"webhook": {"headers": {"a": "a"}, "url": "http://test"}}
ROI = '{"polygons":[{"data":[[204,64],[90,321],[511,319],[617,221]]}]}'
SCHEDULE = {
    "type": "weekly",
    "timezone": "+08:00",
    "days_of_week": [1, 2],
    "periods": [[{"begin_at": "08:00:00", "end_at": "12:00:00"}]],
}
#: A group entry of a batch input: (group id, [source id or (source id, target_roi)]).
GroupEntry = tuple[str, Sequence[str | tuple[str, str]]]


def task_body(source_ids: Sequence[str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": unique("task"),
        "input": {"type": "video_source", "data": [{"video_source_id": s} for s in source_ids]},
        "output": WEBHOOK,
        "config": {"common": {"fire_detection_sw": 1}},
        "service_version": "3.0",
    }
    body.update(overrides)
    return body


def batch_input(groups: Sequence[GroupEntry]) -> dict[str, Any]:
    entries = []
    for group_id, sources in groups:
        listed = []
        for source in sources:
            sid, roi = (source, None) if isinstance(source, str) else source
            listed.append({"video_source_id": sid, **({"target_roi": roi} if roi else {})})
        entries.append({"video_source_group_id": group_id, "video_source_list": listed})
    return {"video_source_group": entries}


def batch_body(groups: Sequence[GroupEntry], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": unique("batch"),
        "batch_input": batch_input(groups),
        "config": {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 1}},
        "output": WEBHOOK,
        "service_name": SMOKE,
        "service_version": "3.0",
    }
    body.update(overrides)
    return body


def assert_no_nulls(value: Any, where: str = "body") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert item is not None, f"{where}.{key} is null"
            assert_no_nulls(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_no_nulls(item, f"{where}[{i}]")


class TaskCenter:
    """Calls the Task Center operations (and the template extension) of one project."""

    def __init__(self, server: Server, client: httpx.Client, project_id: str) -> None:
        self.server = server
        self.client = client
        self.project_id = project_id
        self.base = f"/v2/{project_id}"
        self.vc = VideoCenter(server, client)
        self.vc.base = self.base

    def call(self, operation: str, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        response = self.client.request(method, self.base + path, **kw)
        assert response.status_code == expect, (operation, response.status_code, response.text)
        body = response.json()
        if expect != 200:
            spec.assert_error(body)
        elif not operation.startswith("x-"):
            spec.assert_response(operation, body)
        return body

    # -- single tasks ----------------------------------------------------------------------

    def create(self, body: dict[str, Any], service: str = SMOKE, expect: int = 200) -> Any:
        path = f"/services/{service}/tasks"
        return self.call("CreateTask", "POST", path, expect, json=body)

    def create_ids(self, body: dict[str, Any], service: str = SMOKE) -> list[str]:
        return [item["id"] for item in self.create(body, service)["tasks"]]

    def show(self, task_id: str, expect: int = 200) -> Any:
        body = self.call("ShowTaskInfo", "GET", f"/tasks/{task_id}", expect)
        if expect == 200:
            assert_no_nulls(body)
        return body

    def state(self, task_id: str) -> str:
        return str(self.show(task_id)["state"])

    def action(self, task_id: str, command: str, expect: int = 200) -> Any:
        return self.call("StartStopTask", "PUT", f"/tasks/{task_id}/action/{command}", expect)

    def update(self, task_id: str, body: dict[str, Any], expect: int = 200) -> Any:
        return self.call("UpdateTask", "PUT", f"/tasks/{task_id}", expect, json=body)

    def delete(self, task_id: str, expect: int = 200) -> Any:
        return self.call("DeleteTask", "DELETE", f"/tasks/{task_id}", expect)

    def list_tasks(self, expect: int = 200, **params: Any) -> Any:
        return self.call("ListTasks", "GET", "/tasks", expect, params=params)

    def ids(self, **params: Any) -> list[str]:
        return [t["id"] for t in self.list_tasks(page_size=1000, **params)["tasks"]]

    # -- batch tasks -----------------------------------------------------------------------

    def create_batch(self, body: dict[str, Any], expect: int = 200) -> Any:
        return self.call("CreateBatchTask", "POST", "/batch-tasks", expect, json=body)

    def update_batch(self, batch_id: str, body: dict[str, Any], expect: int = 200) -> Any:
        return self.call("UpdateBatchTask", "PUT", f"/batch-tasks/{batch_id}", expect, json=body)

    def batch_action(self, batch_id: str, command: str, expect: int = 200) -> Any:
        path = f"/batch-tasks/{batch_id}/action/{command}"
        return self.call("BatchStartStopTask", "PUT", path, expect)

    def delete_batch(self, batch_id: str, expect: int = 200) -> Any:
        return self.call("DeleteBatchTask", "DELETE", f"/batch-tasks/{batch_id}", expect)

    def list_batches(self, expect: int = 200, **params: Any) -> Any:
        return self.call("ListBatchTasks", "GET", "/batch-tasks", expect, params=params)

    def batch_item(self, batch_id: str, name: str) -> dict[str, Any]:
        listing = self.list_batches(type_like="batch_task_name", name_like=name)
        (item,) = [b for b in listing["batch_task_list"] if b["id"] == batch_id]
        return dict(item)

    def members(self, batch_id: str) -> dict[str, dict[str, Any]]:
        """ShowTaskInfo of every member task, by video source id."""
        shown = [self.show(tid) for tid in self.ids(batch_id=batch_id)]
        return {t["input"]["data"][0]["video_source_id"]: t for t in shown}

    # -- templates (openvias extension) ------------------------------------------------------

    def templates(self) -> list[dict[str, Any]]:
        body = self.call("x-ListTemplates", "GET", "/templates", params={"page_size": 200})
        assert body["count"] >= len(body["templates"])
        return list(body["templates"])

    def template(self, template_id: str, expect: int = 200) -> Any:
        return self.call("x-ShowTemplate", "GET", f"/templates/{template_id}", expect)

    def delete_template(self, template_id: str, expect: int = 200) -> Any:
        return self.call("x-DeleteTemplate", "DELETE", f"/templates/{template_id}", expect)

    def batch_from_template(self, template_id: str, body: dict[str, Any], expect: int = 200) -> Any:
        path = f"/templates/{template_id}/batch-tasks"
        result = self.call("x-CreateBatchTaskFromTemplate", "POST", path, expect, json=body)
        if expect == 200:
            spec.assert_response("CreateBatchTask", result)
        return result

    # -- video center shortcuts ----------------------------------------------------------------

    def sources(self, n: int) -> list[str]:
        return [self.vc.create_source() for _ in range(n)]

    def group(self, source_ids: list[str]) -> str:
        return self.vc.create_group(source_ids)


@contextmanager
def task_center(
    server: Server, *, token: str | None = None, project_id: str | None = None
) -> Iterator[TaskCenter]:
    """The Task Center of the ``default`` project, or of ``project_id`` with ``token``."""
    spec.require_spec()
    with server.client(token) as client:
        yield TaskCenter(server, client, project_id or server.project_id)
