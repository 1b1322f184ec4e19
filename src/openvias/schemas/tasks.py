"""Task Center wire models shared by tasks and batch tasks (definitions' TaskInput,
TaskOutput, TaskSchedule, TaskServiceConfig) and the single-task bodies and responses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from openvias.domain.http_headers import (
    HEADER_NAME_PATTERN,
    HEADER_VALUE_PATTERN,
    MAX_NAME_LENGTH,
    MAX_VALUE_LENGTH,
)
from openvias.domain.object_storage import object_key_problem
from openvias.schemas.common import CJK, FreeJsonObject, WireModel, fullmatch, pattern_schema

TASK_NAME_PATTERN = r"^[\u4E00-\u9FA5a-zA-Z0-9_-]{1,100}$"
URL_PATTERN = (
    r"^(https?|rtsp|rtmp|ftp|file):\/\/[-A-Za-z0-9+&@*#/%?=~_|!:,.;]+[-A-Za-z0-9+&@*#/%=~_|]$"
)
BUCKET_PATTERN = r"^[a-z0-9](?!.*[-.][-.].*)([a-z0-9-.]{1,61})[a-z0-9]$"
OBS_PATH_PATTERN = r'^(?![/.\s])(?!.*//.*)([^:*?"<>|\\]{0,1023})(?<![.\s])$'
ORDER_ID_PATTERN = r"^[a-z0-9-_]{4,36}$"
VERSION_PATTERN = r"^[a-z0-9\.]{3,32}$"
SERVICE_NAME_PATTERN = f"^[{CJK}a-zA-Z0-9_-]{{1,100}}$"
TIME_PATTERN = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T)?[0-9]{2}:[0-9]{2}:[0-9]{2}$"
_OFFSET_RE = re.compile(r"^(GMT|UTC)?[+-](0\d|1[0-4]):[0-5]\d$")

InputBucket = Annotated[
    str,
    StringConstraints(max_length=64),
    fullmatch(BUCKET_PATTERN),
    pattern_schema(BUCKET_PATTERN, 64),
]
OutputBucket = Annotated[
    str,
    StringConstraints(max_length=63),
    fullmatch(BUCKET_PATTERN),
    pattern_schema(BUCKET_PATTERN, 63),
]


def _object_key(value: str) -> str:
    problem = object_key_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: Huawei's pattern, plus the object-key rule every OBS key follows (``domain.object_storage``).
ObsPath = Annotated[
    str,
    StringConstraints(max_length=1023),
    fullmatch(OBS_PATH_PATTERN),
    AfterValidator(_object_key),
    pattern_schema(OBS_PATH_PATTERN, 1023),
]

#: HTTP headers a task sends (webhook output, restful input): ``domain.http_headers``.
HttpHeaders = dict[
    Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, pattern=HEADER_NAME_PATTERN),
    ],
    Annotated[str, StringConstraints(max_length=MAX_VALUE_LENGTH, pattern=HEADER_VALUE_PATTERN)],
]

InputType = Literal["video_source", "obs", "url", "edgecamera", "restful", "vcn"]
DataCategory = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class TaskInputVcn(WireModel):
    ip: str = Field(pattern=r"^(\d{1,3}\.){3}\d{1,3}$")
    port: int = Field(ge=0, le=65535)
    username: str = Field(pattern=r"^.{1,100}$")
    password: str = Field(pattern=r"^.{1,1000}$")


class TaskInputData(WireModel):
    video_source_id: str | None = Field(None, pattern=r"^[0-9a-z-_]{4,36}$")
    url: str | None = Field(None, max_length=1000, pattern=URL_PATTERN)
    bucket: InputBucket | None = None
    path: ObsPath | None = None
    stream_name: str | None = Field(None, pattern=r"^[-A-Za-z0-9_]{1,80}$")
    device_id: str | None = Field(
        None,
        pattern=r"^(([0-9]{20}[#][a-zA-Z0-9]{32})|([0-9]{20}[#][0-9]{1,10}[#][a-zA-Z0-9]{32}))$",
    )
    stream_type: int | None = Field(None, ge=1, le=3)
    id: str | None = Field(None, max_length=63, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$")
    certificate_check: bool | None = None
    rtsp_path_in_response: str | None = Field(
        None,
        max_length=1024,
        pattern=r"^([-A-Za-z0-9+&?=~_][-A-Za-z0-9+&/?=~_]+[-A-Za-z0-9+&/?=~_]|[A-Za-z]+)$",
    )
    headers: HttpHeaders | None = Field(None, max_length=10)
    index: int | None = Field(None, ge=0, le=1000)


_REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "video_source": ("video_source_id",),
    "url": ("url",),
    "obs": ("bucket", "path"),
    "edgecamera": ("id",),
    "restful": ("url", "rtsp_path_in_response"),
    "vcn": ("device_id",),
}


def check_fields_of_type(
    input_type: str, data: Sequence[object], vcn: object, required: dict[str, tuple[str, ...]]
) -> None:
    """The data fields an input type needs (VIAS and VAS inputs alike)."""
    for entry in data:
        for name in required[input_type]:
            if getattr(entry, name) is None:
                raise ValueError(f"input.data[].{name} is required for type {input_type}")
    if input_type == "vcn" and vcn is None:
        raise ValueError("input.vcn is required for type vcn")


class TaskInput(WireModel):
    type: InputType
    data: list[TaskInputData] = Field(min_length=1, max_length=50)
    vcn: TaskInputVcn | None = None

    @model_validator(mode="after")
    def _fields_of_type(self) -> TaskInput:
        check_fields_of_type(self.type, self.data, self.vcn, _REQUIRED_BY_TYPE)
        return self


class TaskOutputWebhook(WireModel):
    url: str = Field(max_length=1000, pattern=URL_PATTERN)
    headers: HttpHeaders = Field(min_length=1, max_length=10)
    data_category: list[DataCategory] | None = Field(None, max_length=10)


class TaskOutputObs(WireModel):
    bucket: OutputBucket
    path: ObsPath
    data_category: list[DataCategory] | None = Field(None, max_length=10)


class TaskOutputDis(WireModel):
    stream_name: str = Field(max_length=64, pattern=r"^[-A-Za-z0-9_]{1,64}$")
    data_category: list[DataCategory] | None = Field(None, max_length=10)


class TaskOutput(WireModel):
    """At least one output; ``event_center`` accepts true/false or 1/0."""

    webhook: TaskOutputWebhook | None = None
    obs: TaskOutputObs | None = None
    dis: TaskOutputDis | None = None
    event_center: bool | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> TaskOutput:
        if not (self.webhook or self.obs or self.dis or self.event_center):
            raise ValueError("output needs at least one of webhook, obs, dis, event_center")
        return self

    def stored(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class TimeWindow(WireModel):
    begin_at: str = Field(pattern=TIME_PATTERN)
    end_at: str = Field(pattern=TIME_PATTERN)

    @field_validator("begin_at", "end_at")
    @classmethod
    def _clock(cls, value: str) -> str:
        hours, minutes, seconds = (int(part) for part in value[-8:].split(":"))
        if hours > 23 or minutes > 59 or seconds > 59:
            raise ValueError("times are hh:mm:ss between 00:00:00 and 23:59:59")
        return value


class TaskSchedule(WireModel):
    """Weekly windows. ``timezone`` accepts the definitions' ``+08:00``, ``GMT+08:00`` (kept
    as ``+08:00``) and IANA names (``Asia/Shanghai``, kept as given); ``periods[i]`` are the
    windows of ``days_of_week[i]``."""

    type: Literal["weekly", "monthly"]
    timezone: str = Field(min_length=1, max_length=64)
    days_of_week: list[Annotated[int, Field(ge=1, le=7)]] | None = Field(
        None, min_length=1, max_length=7
    )
    days_of_month: list[Annotated[int, Field(ge=1, le=31)]] | None = None
    periods: list[Annotated[list[TimeWindow], Field(max_length=10)]] | None = Field(
        None, max_length=7
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if _OFFSET_RE.match(value):
            # Kept as the definitions' ``+08:00``, the form ShowTaskInfo answers with.
            return value.removeprefix("GMT").removeprefix("UTC")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("timezone must be +hh:mm, GMT+hh:mm or an IANA zone name") from exc
        return value

    @model_validator(mode="after")
    def _weekly(self) -> TaskSchedule:
        if self.type == "monthly":
            raise ValueError("only weekly schedules are supported")
        if not self.days_of_week:
            raise ValueError("days_of_week is required for a weekly schedule")
        if len(set(self.days_of_week)) != len(self.days_of_week):
            raise ValueError("days_of_week must not repeat a day")
        if not self.periods or not any(self.periods):
            raise ValueError("periods needs at least one window")
        if len(self.periods) not in (1, len(self.days_of_week)):
            raise ValueError("periods needs one list of windows per day of days_of_week")
        return self

    def stored(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class TaskServiceConfig(WireModel):
    common: FreeJsonObject = Field(default_factory=dict)


class _TaskBodyBase(WireModel):
    description: str = Field("", max_length=500)
    config: TaskServiceConfig | None = None
    #: Older clients call it ``service_config``; both are accepted, ``config`` is echoed.
    service_config: TaskServiceConfig | None = None
    schedule: TaskSchedule | None = None
    resource_order_id: str | None = Field(
        None, min_length=4, max_length=36, pattern=ORDER_ID_PATTERN
    )
    is_saved_as_template: bool = False

    def effective_config(self) -> dict[str, Any] | None:
        chosen = self.config or self.service_config
        return chosen.model_dump() if chosen is not None else None


class TaskCreate(_TaskBodyBase):
    name: str = Field(pattern=TASK_NAME_PATTERN)
    input: TaskInput
    output: TaskOutput
    service_version: str = Field(min_length=3, max_length=32, pattern=VERSION_PATTERN)


class TaskUpdate(_TaskBodyBase):
    name: str = Field(pattern=TASK_NAME_PATTERN)
    input: TaskInput
    output: TaskOutput
    service_version: str | None = Field(None, min_length=3, max_length=32, pattern=VERSION_PATTERN)

    @field_validator("input")
    @classmethod
    def _single_input(cls, value: TaskInput) -> TaskInput:
        if len(value.data) != 1:
            raise ValueError("an update takes exactly one input.data entry")
        return value


class TaskIdItem(WireModel):
    id: str


class TasksCreated(WireModel):
    tasks: list[TaskIdItem]


class TaskActionResult(WireModel):
    id: str
    status_code: int = 200
    status_msg: str = "success"


class TaskError(WireModel):
    code: str
    message: str


class TaskInfo(WireModel):
    """ShowTaskInfo (TaskInfoDto)."""

    id: str
    name: str
    description: str
    project_id: str
    creator: str
    company: str
    service_id: str
    release_id: str
    algorithm_publish_id: str
    service_name: str
    service_version: str
    title: str
    type: str
    state: str
    status: str
    created_at: str
    updated_at: str
    input: dict[str, Any]
    output: dict[str, Any]
    config: dict[str, Any]
    schedule: dict[str, Any] | None = None
    schedule_status: str
    resource_order_id: str | None = None
    video_source_name: str
    access_address: str
    group_name: str
    batch_id: str | None = None
    error: TaskError | None = None


class TaskListItem(WireModel):
    id: str
    name: str
    state: str
    created_at: str
    algorithm_publish_id: str
    service_id: str
    title: str
    type: str
    video_source_name: str
    batch_id: str | None = None


class TaskList(WireModel):
    count: int
    page: int
    page_size: int
    total: int = Field(description="openvias extension: the number of matching tasks.")
    tasks: list[TaskListItem]
