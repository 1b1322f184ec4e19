"""The built-in algorithm services: names, fixed ids, versions and typed configuration.

``service_name`` is the path segment of ``POST /v2/{project_id}/services/{service_name}/tasks``
(``-cloud`` and ``-edge`` twins run the same analysis in openvias). Ids are fixed UUID4 so
that they are the same on every installation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from pydantic import ValidationError

from openvias.domain.algorithm_configs import (
    CommonConfig,
    FlowCountCommon,
    IntrusionDetectionCommon,
    SmokeAndFireCommon,
)

CURRENT_VERSION = "3.0"
#: Accepted ``service_version`` values. "3.0" is the version of every built-in service;
#: "1.0" and "1.1" appear in Huawei's own CreateTask/UpdateTask/CreateBatchTask examples and
#: are accepted as aliases of it (openvias has one implementation per service).
ACCEPTED_VERSIONS: tuple[str, ...] = (CURRENT_VERSION, "1.0", "1.1")

INPUT_TYPES: tuple[str, ...] = ("URL", "OBS")
OUTPUT_TYPES: tuple[str, ...] = ("Webhook", "OBS", "DIS")


class ConfigError(ValueError):
    """A configuration value is refused; ``field`` is its dotted path in the request body
    (``config.common.video_sampling_interval``, ``service_version``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    service_name: str
    alg_id: str
    service_id: str
    title_zh: str
    title_en: str
    deploy_type: Literal["cloud", "edge"]
    version: str
    commercial: bool
    event_type: int | None
    config_model: type[CommonConfig]
    description: str
    tags: tuple[str, ...]
    input_types: tuple[str, ...] = INPUT_TYPES
    output_types: tuple[str, ...] = OUTPUT_TYPES
    versions: tuple[str, ...] = ACCEPTED_VERSIONS
    #: Other names that find the service (titles are always accepted too).
    aliases: tuple[str, ...] = ()
    #: Release time (epoch ms): the service's ``created_at``.
    created_at: int = 0


_SMOKE_AND_FIRE = (
    "Detects flames and smoke in a video stream and raises an alarm whenever either appears "
    "(event_type 393216; state 1 = fire, 2 = smoke)."
)
_INTRUSION = (
    "Detects people and vehicles entering the regions or crossing the lines of target_roi "
    "(event_type 196609)."
)
_FLOW_COUNT = (
    "Counts people crossing the lines and standing in the regions of target_roi, and reports "
    "the counts periodically."
)


def _cloud_and_edge(
    base: str,
    *,
    cloud_ids: tuple[str, str],
    edge_ids: tuple[str, str],
    title_zh: str,
    title_en: str,
    commercial: bool,
    event_type: int | None,
    config_model: type[CommonConfig],
    description: str,
    tags: tuple[str, ...],
    created_at: int,
    aliases: tuple[str, ...] = (),
) -> tuple[ServiceSpec, ServiceSpec]:
    """Every algorithm comes as a cloud service and an edge twin (``c-x-cloud``, ``c-x-edge``)
    with their own ids and titles; the aliases name the cloud one."""

    def one(deploy_type: Literal["cloud", "edge"], ids: tuple[str, str]) -> ServiceSpec:
        edge = deploy_type == "edge"
        return ServiceSpec(
            service_name=f"{base}-{deploy_type}",
            alg_id=ids[0],
            service_id=ids[1],
            title_zh=("边缘" if edge else "") + title_zh,
            title_en=f"Edge {title_en[0].lower()}{title_en[1:]}" if edge else title_en,
            deploy_type=deploy_type,
            version=CURRENT_VERSION,
            commercial=commercial,
            event_type=event_type,
            config_model=config_model,
            description=description,
            tags=tags,
            aliases=() if edge else aliases,
            created_at=created_at,
        )

    return one("cloud", cloud_ids), one("edge", edge_ids)


SERVICES: tuple[ServiceSpec, ...] = (
    *_cloud_and_edge(
        "c-smoke-and-fire",
        cloud_ids=("175bed65-9586-4252-8227-db78ebc402f1", "22d56778-786c-4dfb-a947-62f04ffc88fc"),
        edge_ids=("00487cde-81aa-47b6-91fb-f79daf460a1e", "47a9a195-55ac-45ce-b0f4-b8fd61866e25"),
        title_zh="烟火检测",
        title_en="Smoke and fire detection",
        commercial=False,
        event_type=393216,
        config_model=SmokeAndFireCommon,
        description=_SMOKE_AND_FIRE,
        tags=("fire", "safety"),
        aliases=("烟火演示算法",),
        created_at=1_709_251_200_000,
    ),
    *_cloud_and_edge(
        "c-intrusiondetection",
        cloud_ids=("0473149f-0e78-4979-a387-f79ee03b9e43", "7dc3831d-f74a-4e34-b804-7f957d04492b"),
        edge_ids=("e6af09fd-7e43-4157-a3b9-8b5312a19385", "4f608a17-5d8b-47f8-ad38-80626643988b"),
        title_zh="入侵检测",
        title_en="Intrusion detection",
        commercial=True,
        event_type=196609,
        config_model=IntrusionDetectionCommon,
        description=_INTRUSION,
        tags=("security", "perimeter"),
        created_at=1_706_745_600_000,
    ),
    *_cloud_and_edge(
        "c-flowcount",
        cloud_ids=("b50aa4d2-8db3-4ef9-bc60-077a62eafd7f", "0692937c-6b64-48f4-96c2-a699daeb5e7d"),
        edge_ids=("07216b48-c360-439c-81af-167427477ab9", "ada8167c-52ed-44d5-9399-e75a2d33df12"),
        title_zh="人流量统计",
        title_en="People flow counting",
        commercial=True,
        event_type=None,
        config_model=FlowCountCommon,
        description=_FLOW_COUNT,
        tags=("retail", "statistics"),
        created_at=1_704_067_200_000,
    ),
)

#: The services by canonical ``service_name``.
CATALOGUE: Mapping[str, ServiceSpec] = MappingProxyType({s.service_name: s for s in SERVICES})

_BY_NAME: dict[str, ServiceSpec] = {}
for _spec in SERVICES:
    for _name in (_spec.service_name, _spec.title_zh, _spec.title_en, *_spec.aliases):
        _BY_NAME.setdefault(_name, _spec)
_BY_ALG_ID = {spec.alg_id: spec for spec in SERVICES}
_BY_SERVICE_ID = {spec.service_id: spec for spec in SERVICES}


def find_service(name: str) -> ServiceSpec | None:
    """By ``service_name``, exact title (Chinese or English) or alias."""
    return _BY_NAME.get(name)


def find_by_alg_id(alg_id: str) -> ServiceSpec | None:
    return _BY_ALG_ID.get(alg_id)


def find_by_service_id(service_id: str) -> ServiceSpec | None:
    return _BY_SERVICE_ID.get(service_id)


def check_version(spec: ServiceSpec, version: str) -> None:
    if version not in spec.versions:
        raise ConfigError(
            "service_version",
            f"{spec.service_name} has no version {version!r}; accepted: {', '.join(spec.versions)}",
        )


def validate_common_config(spec: ServiceSpec, common: dict[str, Any]) -> dict[str, Any]:
    """Check every known key of ``config.common``; return it as sent (unknown keys kept,
    defaults not added). Raises :class:`ConfigError`."""
    try:
        model = spec.config_model.model_validate(common)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        field = f"config.common.{key}" if key else "config.common"
        raise ConfigError(field, f"{key or 'common'}: {message}") from exc
    problem = model.consistency_error()
    if problem is not None:
        key, message = problem
        raise ConfigError(f"config.common.{key}", message)
    return dict(common)


def config_json_schema(spec: ServiceSpec) -> dict[str, Any]:
    """The JSON Schema of the service's ``config.common``."""
    return spec.config_model.model_json_schema()
