"""VAS v2 (legacy) task API responses: TaskDetails (ShowTask adds ``hosting_result``), the
ListTasksDetails page, the CreateTasks items (``huawei-api-definitions/VAS/*.json``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from openvias.schemas.common import WireModel
from openvias.schemas.vas import VasState


class VasTaskId(WireModel):
    id: str


class VasServiceTitle(WireModel):
    zh: str
    en: str


class VasTaskError(WireModel):
    code: str
    message: str


class VasTaskDetails(WireModel):
    """TaskDetails. ``input``/``output``/``timing`` are shown in the VAS vocabulary
    (``output`` in its display form: ``hosting.obs`` lists where results are hosted)."""

    id: str
    name: str
    description: str
    creator: str
    project_id: str
    service_name: str
    service_version: str
    service_title: VasServiceTitle
    edge_pool_id: str | None = None
    resource_order_id: str | None = None
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})
    state: VasState
    status: str | None = None
    error: VasTaskError | None = None
    timing_status: Literal["ACTIVATED", "INACTIVATED"]
    timing: dict[str, Any] | None = None
    input: dict[str, Any]
    output: dict[str, Any]
    service_config: dict[str, Any]


class VasHostingResult(WireModel):
    status: Literal["NOT_GENERATED", "AVAILABLE", "EXCEED_IN_SIZE", "OVERDUE", "DELETED_MISTAKENLY"]
    overdue_date: str | None = Field(None, json_schema_extra={"format": "date-time"})
    data: str | None = None
    file_size: str | None = None


class VasTaskShown(VasTaskDetails):
    """ShowTask: TaskDetails plus ``hosting_result`` for tasks with a hosting output."""

    hosting_result: VasHostingResult | None = None


class VasTaskList(WireModel):
    count: int = Field(description="The number of matching tasks (not just this page).")
    tasks: list[VasTaskDetails]
