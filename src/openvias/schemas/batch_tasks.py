"""Batch tasks: Create/Update/Delete/List/BatchStartStop."""

from __future__ import annotations

from pydantic import Field

from openvias.schemas.common import WireModel
from openvias.schemas.tasks import (
    ORDER_ID_PATTERN,
    SERVICE_NAME_PATTERN,
    TASK_NAME_PATTERN,
    VERSION_PATTERN,
    TaskOutput,
    TaskSchedule,
    TaskServiceConfig,
)

ID_PATTERN = r"^[a-z0-9-_]{4,36}$"


class BatchSource(WireModel):
    video_source_id: str = Field(pattern=ID_PATTERN)
    target_roi: str | None = Field(None, max_length=2048)


class BatchGroup(WireModel):
    video_source_group_id: str = Field(pattern=ID_PATTERN)
    #: Empty means every source of the group at the time of the call.
    video_source_list: list[BatchSource] = Field(max_length=100)


class BatchInput(WireModel):
    video_source_group: list[BatchGroup] = Field(min_length=1, max_length=100)


class _BatchBodyBase(WireModel):
    description: str | None = Field(None, max_length=500)
    config: TaskServiceConfig | None = None
    schedule: TaskSchedule | None = None
    resource_order_id: str | None = Field(
        None, min_length=4, max_length=36, pattern=ORDER_ID_PATTERN
    )
    is_saved_as_template: bool = False


class BatchTaskCreate(_BatchBodyBase):
    name: str = Field(pattern=TASK_NAME_PATTERN)
    batch_input: BatchInput
    output: TaskOutput
    service_name: str = Field(min_length=1, max_length=100, pattern=SERVICE_NAME_PATTERN)
    service_version: str = Field(min_length=3, max_length=32, pattern=VERSION_PATTERN)


class BatchTaskUpdate(_BatchBodyBase):
    """Partial: every absent field stays as it is."""

    name: str | None = Field(None, pattern=TASK_NAME_PATTERN)
    batch_input: BatchInput | None = None
    output: TaskOutput | None = None


class BatchTaskResult(WireModel):
    id: str
    total_count: int
    succeed_count: int
    failed_count: int
    error_list: list[str]


class BatchTaskItem(WireModel):
    id: str
    batch_task_name: str
    alg_name: str
    company: str
    created_at: int
    num_task: int
    type: str
    video_group_name: str
    video_source_name: str
    service_name: str
    batch_task_status_info: dict[str, int]


class BatchTaskList(WireModel):
    count: int
    batch_task_list: list[BatchTaskItem]
