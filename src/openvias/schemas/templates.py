"""Task templates: an openvias extension (VIAS has the flag, not the API)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from openvias.schemas.batch_tasks import BatchInput
from openvias.schemas.common import WireModel
from openvias.schemas.tasks import TASK_NAME_PATTERN, TaskOutput, TaskSchedule, TaskServiceConfig


class TemplateInfo(WireModel):
    id: str
    name: str
    service_name: str
    service_version: str
    created_at: int
    description: str
    config: dict[str, Any]
    output: dict[str, Any]
    schedule: dict[str, Any] | None = None
    resource_order_id: str | None = None


class TemplateList(WireModel):
    count: int
    templates: list[TemplateInfo]


class BatchTaskFromTemplate(WireModel):
    """Fields given here override the template's."""

    name: str = Field(pattern=TASK_NAME_PATTERN)
    batch_input: BatchInput
    description: str | None = Field(None, max_length=500)
    config: TaskServiceConfig | None = None
    output: TaskOutput | None = None
    schedule: TaskSchedule | None = None
