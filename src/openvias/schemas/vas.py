"""VAS v2 (legacy) task API wire models: the bodies ``huaweicloudsdkvas`` sends and the
shapes it parses (``huawei-api-definitions/VAS/*.json``), and the rule that tells a VAS
CreateTasks body from a VIAS CreateTask body on the path both operations share.

Patterns are the definitions' with ``\\d``/``\\w`` spelled out in ASCII (the Rust engine's
are Unicode-aware).
"""

from __future__ import annotations

import datetime
from ipaddress import IPv4Address
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from openvias.schemas.common import CJK, FreeJsonObject, WireModel
from openvias.schemas.tasks import (
    URL_PATTERN,
    HttpHeaders,
    ObsPath,
    OutputBucket,
    check_fields_of_type,
)

VAS_SERVICE_NAME_PATTERN = r"^[a-z][a-z-]{0,98}[a-z]$"
VAS_TASK_ID_PATTERN = r"^([0-9a-f]{32}|task[A-Za-z0-9_]{8})$"
VAS_VERSION_PATTERN = r"^[0-9]{1,3}\.[0-9]{1,3}$"
VAS_NAME_PATTERN = f"^[{CJK}a-zA-Z0-9_-]{{1,100}}$"
EDGE_POOL_ID_PATTERN = r"^([0-9a-f]{32}|edgestreampool[A-Za-z0-9_]{8})$"
VAS_ORDER_ID_PATTERN = r"^[0-9a-f]{32}$"
CLOCK_PATTERN = r"^[0-9]{2}:[0-9]{2}:[0-9]{2}$"
PERIOD_PATTERN = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T)?[0-9]{2}:[0-9]{2}:[0-9]{2}$"

VasInputType = Literal["obs", "vis", "url", "edgecamera", "edgerestful", "vcn"]
VasState = Literal[
    "PENDING", "RECOVERING", "STARTING", "UPGRADING", "CREATE_FAILED", "START_FAILED",
    "RUNNING", "STOPPING", "STOPPED", "ABNORMAL", "SUCCEEDED", "FAILED", "DELETING",
    "FREEZING", "FROZEN",
]  # fmt: skip
VasOrder = Literal[
    "name:ASC", "name:DESC", "created_at:ASC", "created_at:DESC", "updated_at:ASC",
    "updated_at:DESC",
]  # fmt: skip
DataCategory = list[str] | None
#: Stated in the schema; enforced by ``_unique``.
UNIQUE: dict[str, Any] = {"uniqueItems": True}


VasModel = WireModel


def _unique(values: list[Any] | None) -> list[Any] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("items must be unique")
    return values


class VasTaskInputData(VasModel):
    stream_name: str | None = Field(None, pattern=r"^[-A-Za-z0-9_]{1,80}$")
    bucket: OutputBucket | None = None
    path: ObsPath | None = None
    url: str | None = Field(None, max_length=1000, pattern=URL_PATTERN)
    headers: HttpHeaders | None = Field(None, min_length=1, max_length=10)
    certificate_check: bool | None = None
    rtsp_path_in_response: str | None = Field(
        None,
        max_length=1024,
        pattern=r"^([-A-Za-z0-9+&?=~_][-A-Za-z0-9+&/?=~_]+[-A-Za-z0-9+&/?=~_]|[A-Za-z]+)$",
    )
    node_id: str | None = Field(
        None, pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )
    device_id: str | None = Field(
        None,
        pattern=r"^(([0-9]{20}[#][a-zA-Z0-9]{32})|([0-9]{20}[#][0-9]{1,10}[#][a-zA-Z0-9]{32}))$",
    )
    stream_type: int | None = Field(None, ge=1, le=3)
    id: str | None = Field(None, max_length=63, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$")


class VasTaskInputVcn(VasModel):
    ip: IPv4Address
    port: int = Field(ge=0, le=65535)
    username: str = Field(pattern=r"^.{1,100}$")
    password: str = Field(pattern=r"^.{1,1000}$")


_REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "obs": ("bucket", "path"),
    "vis": ("stream_name",),
    "url": ("url",),
    "edgecamera": ("id",),
    "edgerestful": ("url", "certificate_check", "rtsp_path_in_response"),
    "vcn": ("device_id",),
}


class VasTaskInput(VasModel):
    type: VasInputType
    data: list[VasTaskInputData] = Field(min_length=1, max_length=50)
    vcn: VasTaskInputVcn | None = None

    @model_validator(mode="after")
    def _fields_of_type(self) -> VasTaskInput:
        check_fields_of_type(self.type, self.data, self.vcn, _REQUIRED_BY_TYPE)
        return self


class VasTaskOutputObs(VasModel):
    bucket: OutputBucket
    path: ObsPath
    data_category: DataCategory = Field(None, max_length=10, json_schema_extra=UNIQUE)

    _unique_categories = field_validator("data_category")(_unique)


class VasTaskOutputDis(VasModel):
    stream_name: str = Field(max_length=64, pattern=r"^[-A-Za-z0-9_]{1,64}$")
    data_category: DataCategory = Field(None, max_length=10, json_schema_extra=UNIQUE)

    _unique_categories = field_validator("data_category")(_unique)


class VasTaskOutputWebhook(VasModel):
    url: str = Field(max_length=1000, pattern=URL_PATTERN)
    headers: HttpHeaders = Field(min_length=1, max_length=10)
    data_category: DataCategory = Field(None, max_length=10, json_schema_extra=UNIQUE)

    _unique_categories = field_validator("data_category")(_unique)


class VasTaskOutputHosting(VasModel):
    data_category: DataCategory = Field(None, max_length=10, json_schema_extra=UNIQUE)

    _unique_categories = field_validator("data_category")(_unique)


class VasTaskOutputLocalpath(VasModel):
    mount_source_path: str = Field(max_length=255, pattern=r"^(/[A-Za-z0-9_.-]+)+/?$")
    data_category: DataCategory = Field(None, max_length=10, json_schema_extra=UNIQUE)

    _unique_categories = field_validator("data_category")(_unique)


class VasTaskOutput(VasModel):
    """At least one output."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 5})

    obs: VasTaskOutputObs | None = None
    dis: VasTaskOutputDis | None = None
    webhook: VasTaskOutputWebhook | None = None
    hosting: VasTaskOutputHosting | None = None
    localpath: VasTaskOutputLocalpath | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> VasTaskOutput:
        if not any((self.obs, self.dis, self.webhook, self.hosting, self.localpath)):
            raise ValueError("output needs at least one of obs, dis, webhook, hosting, localpath")
        return self

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class VasServiceConfig(VasModel):
    """``{"common": {...}}``; the definitions ask for at least one property."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    common: FreeJsonObject | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if isinstance(value, dict) and not value:
            raise ValueError("service_config needs at least one property")
        return value


def _check_clock(value: str) -> None:
    hours, minutes, seconds = (int(part) for part in value[-8:].split(":"))
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError("times are hh:mm:ss between 00:00:00 and 23:59:59")


def _check_date(value: str) -> None:
    try:
        datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value} is not a calendar date") from exc


class VasTimingPeriod(VasModel):
    begin_at: str = Field(pattern=PERIOD_PATTERN)
    end_at: str = Field(pattern=PERIOD_PATTERN)

    @field_validator("begin_at", "end_at")
    @classmethod
    def _valid(cls, value: str) -> str:
        _check_clock(value)
        if "T" in value:
            _check_date(value[:10])
        return value


class VasTimingFrequency(VasModel):
    interval: int = Field(ge=5, le=720, description="Minutes between two runs.")
    duration: int = Field(ge=5, le=720, description="Minutes each run lasts.")
    begin_at: str | None = Field(None, pattern=CLOCK_PATTERN)
    end_at: str | None = Field(None, pattern=CLOCK_PATTERN)

    @field_validator("begin_at", "end_at")
    @classmethod
    def _valid(cls, value: str | None) -> str | None:
        if value is not None:
            _check_clock(value)
        return value


class VasTaskTiming(VasModel):
    """When a task runs: ``periods`` (windows; ``yyyy-MM-ddThh:mm:ss`` for ``once``,
    ``hh:mm:ss`` otherwise) or ``frequency`` (every ``interval`` minutes for ``duration``)."""

    type: Literal["once", "daily", "weekly", "monthly"]
    timezone: str = Field(pattern=r"^[+-][0-9]{2}:[0-9]{2}$")
    days_of_week: list[Annotated[int, Field(ge=1, le=7)]] | None = Field(
        None, min_length=1, max_length=7, json_schema_extra=UNIQUE
    )
    days_of_month: list[Annotated[int, Field(ge=1, le=31)]] | None = Field(
        None, min_length=1, max_length=31, json_schema_extra=UNIQUE
    )
    date: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    periods: list[VasTimingPeriod] | None = Field(None, min_length=1, max_length=10)
    frequency: VasTimingFrequency | None = None

    _unique_days = field_validator("days_of_week", "days_of_month")(_unique)

    @field_validator("timezone")
    @classmethod
    def _offset(cls, value: str) -> str:
        hours, minutes = int(value[1:3]), int(value[4:6])
        if hours > 14 or minutes > 59:
            raise ValueError("timezone is an offset between -14:00 and +14:00")
        return value

    @field_validator("date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None:
            _check_date(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> VasTaskTiming:
        if (self.periods is None) == (self.frequency is None):
            raise ValueError("timing needs exactly one of periods and frequency")
        if self.type == "weekly" and not self.days_of_week:
            raise ValueError("days_of_week is required for weekly timing")
        if self.type == "monthly" and not self.days_of_month:
            raise ValueError("days_of_month is required for monthly timing")
        if self.type == "once" and self.frequency is not None and self.date is None:
            raise ValueError("date is required for once timing with a frequency")
        dated = self.type == "once"
        for period in self.periods or []:
            if ("T" in period.begin_at) != dated or ("T" in period.end_at) != dated:
                form = "yyyy-MM-ddThh:mm:ss" if dated else "hh:mm:ss"
                raise ValueError(f"periods of {self.type} timing are {form}")
        return self


class VasTaskCreate(VasModel):
    """CreateTasksRequestBody: one task per ``input.data`` entry."""

    name: str = Field(pattern=VAS_NAME_PATTERN)
    description: str = Field("", max_length=500)
    service_version: str = Field(pattern=VAS_VERSION_PATTERN)
    edge_pool_id: str | None = Field(None, pattern=EDGE_POOL_ID_PATTERN)
    resource_order_id: str | None = Field(None, pattern=VAS_ORDER_ID_PATTERN)
    timing: VasTaskTiming | None = None
    input: VasTaskInput
    output: VasTaskOutput
    service_config: VasServiceConfig | None = None


class VasTaskUpdate(VasModel):
    """UpdateTaskRequestBody: absent fields stay as they are."""

    name: str | None = Field(None, pattern=VAS_NAME_PATTERN)
    description: str | None = Field(None, max_length=500)
    timing: VasTaskTiming | None = None
    input: VasTaskInput | None = None
    output: VasTaskOutput | None = None
    service_config: VasServiceConfig | None = None

    @field_validator("input")
    @classmethod
    def _single_input(cls, value: VasTaskInput | None) -> VasTaskInput | None:
        if value is not None and len(value.data) != 1:
            raise ValueError("an update takes exactly one input.data entry")
        return value


# -- VIAS CreateTask or VAS CreateTasks? ----------------------------------------------------

_VAS_KEYS = ("service_config", "timing", "edge_pool_id")
_VIAS_KEYS = ("config", "schedule", "is_saved_as_template")
_VAS_INPUTS = frozenset({"vis", "edgecamera", "edgerestful"})
_VIAS_INPUTS = frozenset({"video_source", "restful"})
_VAS_OUTPUTS = ("hosting", "localpath")
_VIAS_OUTPUTS = ("event_center",)


def create_body_flavor(body: Any, *, signed: bool) -> Literal["vias", "vas"]:
    """Which operation a ``POST /v2/{project_id}/services/{service_name}/tasks`` is.

    The path is both VIAS CreateTask (answers 200 ``{"tasks": [{"id"}]}``) and VAS
    CreateTasks (answers 201 ``[{"id"}]``, what ``huaweicloudsdkvas`` parses). The body
    decides, in this order (a key counts when present and not null):

    1. VAS when it has ``service_config``, ``timing`` or ``edge_pool_id``, or ``input.type``
       is ``vis``, ``edgecamera`` or ``edgerestful``, or ``output`` has ``hosting`` or
       ``localpath``;
    2. else VIAS when it has ``config``, ``schedule`` or ``is_saved_as_template``, or
       ``input.type`` is ``video_source`` or ``restful``, or ``output`` has ``event_center``;
    3. else (a body both could mean, e.g. a ``url`` input with a webhook output, or not an
       object at all) VAS when the request is AK/SK-signed (``Authorization:
       SDK-HMAC-SHA256 ...``, as the SDK signs), VIAS otherwise.

    The body is then validated by that operation's model only, and answered in its shape.
    """
    if isinstance(body, dict):
        source = body.get("input")
        kind = source.get("type") if isinstance(source, dict) else None
        input_type = kind if isinstance(kind, str) else None
        sink = body.get("output")
        outputs = sink if isinstance(sink, dict) else {}

        def has(keys: tuple[str, ...], where: dict[str, Any]) -> bool:
            return any(where.get(key) is not None for key in keys)

        if has(_VAS_KEYS, body) or input_type in _VAS_INPUTS or has(_VAS_OUTPUTS, outputs):
            return "vas"
        if has(_VIAS_KEYS, body) or input_type in _VIAS_INPUTS or has(_VIAS_OUTPUTS, outputs):
            return "vias"
    return "vas" if signed else "vias"
