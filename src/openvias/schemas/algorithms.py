"""Algorithm Center: Deploy/StopDeployAlgorithm, ShowServiceDetail, ListUserServices."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictInt, StrictStr, field_validator

from openvias.schemas.common import FreeJsonObject, WireModel

#: Path pattern of ``alg_id`` and ``service_id`` (UUID4), as in the definitions.
UUID4_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[4][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
POOL_ID_PATTERN = r"^[A-Za-z-_0-9]{1,64}$"

AlgStatus = Literal[
    "service_running",
    "service_deploying",
    "service_failed",
    "service_stopping",
    "service_stopped",
    "service_upgrading",
    "service_finished",
    "service_concerning",
    "not_deployed",
]


class DeployServiceReq(WireModel):
    stream_count: StrictInt = Field(ge=1, le=10000, description="Number of video streams.")
    pool_id: str | None = Field(
        None, pattern=POOL_ID_PATTERN, description="Resource pool (accepted and stored)."
    )
    deploy_config: FreeJsonObject | None = Field(
        None, max_length=100, description="Service start parameters (stored)."
    )
    envs: dict[str, StrictStr] | None = Field(
        None, max_length=100, description="Environment variables of the service (stored)."
    )

    @field_validator("envs")
    @classmethod
    def _env_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name, text in (value or {}).items():
            if not name or len(name) > 128 or len(text) > 4096:
                raise ValueError("names are 1-128 characters, values at most 4096")
        return value


class DeployServiceResp(WireModel):
    alg_name: str


class UpdateDeployAlgorithmResp(WireModel):
    alg_id: str


class ServicesListInfo(WireModel):
    alg_class: str = "self"
    alg_id: str
    alg_status: AlgStatus
    alg_version: str
    company: str
    created_at: int
    deploy_type: Literal["cloud", "edge"]
    description: str | None = None
    function_version: str
    request_mode: Literal["sync", "async"] = "async"
    service_id: str
    service_name: str = Field(
        description="The service_name of CreateTask's path (e.g. c-smoke-and-fire-cloud)."
    )
    tags: list[str]


class ServiceListResponse(WireModel):
    count: int = Field(description="Services on this page.")
    service_list: list[ServicesListInfo]
    total: int = Field(description="Services matching the filters.")


class ServiceApi(WireModel):
    en: str
    request_type: str
    request_url: str
    zh: str


class DeploymentConstraints(WireModel):
    cpu_type: Literal["x86_64", "aarch64"]
    input_types: list[str]
    output_types: list[str]
    request_mode: Literal["sync", "async"] = "async"
    service_config: str
    task_config: str = Field(description="The config.common parameters as VIAS XML.")


class ServiceDetail(ServicesListInfo):
    alg_name: str
    alg_versions: list[str]
    api: str = Field(description="The service_name of CreateTask's path.")
    deployment_constraints: DeploymentConstraints
    pool_id: str | None = None
    release_at: int
    release_flag: bool = True
    service_api_list: list[ServiceApi]
    updated_at: int
    config_schema: dict[str, Any] = Field(
        description="openvias extension: the JSON Schema of config.common."
    )
