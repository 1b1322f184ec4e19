"""Algorithm Center: the built-in services per project, and the rules the Task Center applies.

A project sees every catalogue service. Its state lives in ``AlgorithmDeployment``; a
project without a row for a service has it ``service_running``, so tasks work out of the box.
DeployAlgorithm (re)starts it, StopDeployAlgorithm stops it (new tasks are then refused).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain import task_states
from openvias.domain.algorithm_catalogue import (
    SERVICES,
    ConfigError,
    ServiceSpec,
    check_version,
    config_json_schema,
    find_by_alg_id,
    find_by_service_id,
    find_service,
    validate_common_config,
)
from openvias.domain.algorithm_configs import SERVICE_CONFIG_XML, task_config_xml
from openvias.domain.clock import now_ms
from openvias.errors import InvalidParameter, NotFound, ReferencedObjectMissing
from openvias.schemas.algorithms import (
    DeploymentConstraints,
    DeployServiceReq,
    ServiceApi,
    ServiceDetail,
    ServiceListResponse,
    ServicesListInfo,
)
from openvias.services.algorithm_errors import TaskQuotaExceeded
from openvias.store.models import AlgorithmDeployment
from openvias.store.repositories.algorithms import (
    AlgorithmDeploymentRepository,
    ResourceOrderRepository,
)
from openvias.store.repositories.tasks import TaskRepository
from openvias.store.repositories.write_locks import lock_resource_order

RUNNING = "service_running"
STOPPED = "service_stopped"
#: Status of a catalogue service that the project never deployed nor stopped.
DEFAULT_STATUS = RUNNING
COMPANY = "openvias"

# -- rules for the Task Center ------------------------------------------------------------


def require_service(service_name: str, service_version: str | None) -> ServiceSpec:
    """The catalogue service named ``service_name``; ``service_version`` (when given) must be
    one it accepts. Raises InvalidParameter (param ``service_name`` / ``service_version``)."""
    spec = find_service(service_name)
    if spec is None:
        raise InvalidParameter(
            f"The algorithm service {service_name} does not exist.", param="service_name"
        )
    if service_version is not None:
        try:
            check_version(spec, service_version)
        except ConfigError as exc:
            raise InvalidParameter(exc.message, param=exc.field) from exc
    return spec


def validated_config(spec: ServiceSpec, config: dict[str, Any] | None) -> dict[str, Any]:
    """``{"common": {...}}`` as sent (other top-level keys kept, defaults not added), every
    known key checked. Raises InvalidParameter whose param is the dotted field."""
    if config is None:
        return {"common": {}}
    if not isinstance(config, dict):
        raise InvalidParameter("config must be an object.", param="config")
    common = config.get("common")
    if common is None:
        common = {}
    if not isinstance(common, dict):
        raise InvalidParameter("config.common must be an object.", param="config.common")
    try:
        checked = validate_common_config(spec, common)
    except ConfigError as exc:
        raise InvalidParameter(
            f"Invalid parameter: {exc.field}.", detail=exc.message, param=exc.field
        ) from exc
    return {**config, "common": checked}


async def service_is_deployed(session: AsyncSession, project_id: str, spec: ServiceSpec) -> bool:
    """Whether the project may run tasks of ``spec`` (False once it stopped the service)."""
    deployment = await AlgorithmDeploymentRepository(session).get(project_id, spec.alg_id)
    return (deployment.status if deployment else DEFAULT_STATUS) == RUNNING


async def require_deployed(session: AsyncSession, project_id: str, spec: ServiceSpec) -> None:
    """New tasks of a service the project stopped are refused (400 naming service_name)."""
    if not await service_is_deployed(session, project_id, spec):
        raise InvalidParameter(
            f"The algorithm service {spec.service_name} is stopped in this project.",
            param="service_name",
        )


async def check_resource_order(
    session: AsyncSession,
    project_id: str,
    spec: ServiceSpec,
    order_id: str | None,
    adding: int,
    *,
    except_batch_id: str | None = None,
) -> None:
    """Commercial services need a live order of the project for that service, whose
    ``max_tasks`` covers ``adding`` running tasks on top of every active task that uses it
    (without the members of ``except_batch_id``, which ``adding`` then counts); free
    services only check that a given order exists in the project. The order is locked
    before the count, so concurrent requests check it one after the other, each seeing what
    the previous one committed. Raises InvalidParameter / TaskQuotaExceeded."""
    param = "resource_order_id"
    if not order_id:
        if spec.commercial:
            raise InvalidParameter(
                f"{spec.service_name} is a commercial service: resource_order_id is required.",
                param=param,
            )
        return
    if spec.commercial:
        await lock_resource_order(session, order_id)
    order = await ResourceOrderRepository(session).get(order_id)
    if order is None or order.project_id != project_id:
        raise ReferencedObjectMissing(f"Resource order {order_id} does not exist.", param=param)
    if not spec.commercial:
        return
    if order.service_name != spec.service_name:
        raise InvalidParameter(
            f"Resource order {order_id} is for {order.service_name}, not {spec.service_name}.",
            param=param,
        )
    if order.expires_at is not None and order.expires_at <= now_ms():
        raise InvalidParameter(f"Resource order {order_id} has expired.", param=param)
    active = await TaskRepository(session).count_active_with_order(
        order_id, task_states.ACTIVE, except_batch_id=except_batch_id
    )
    if active + adding > order.max_tasks:
        raise TaskQuotaExceeded(
            f"Resource order {order_id} allows {order.max_tasks} running tasks; "
            f"this would make {active + adding}.",
            param=param,
        )


# -- the Algorithm Center API -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceQuery:
    name_like: str | None = None
    statuses: tuple[str, ...] = ()
    sort: Literal["created_at", "function_version"] = "created_at"
    descending: bool = True


def _cpu_type() -> Literal["x86_64", "aarch64"]:
    return "aarch64" if platform.machine().lower() in ("aarch64", "arm64") else "x86_64"


def _matches(spec: ServiceSpec, needle: str) -> bool:
    needle = needle.casefold()
    names = (spec.service_name, spec.title_zh, spec.title_en)
    return any(needle in name.casefold() for name in names)


def _api_list(project_id: str, spec: ServiceSpec) -> list[ServiceApi]:
    base = f"/v2/{project_id}"
    task = f"{base}/tasks/{{task_id}}"
    return [
        ServiceApi(
            en="create task",
            zh="创建作业",
            request_type="POST",
            request_url=f"{base}/services/{spec.service_name}/tasks",
        ),
        ServiceApi(en="task detail", zh="作业详情", request_type="GET", request_url=task),
        ServiceApi(en="task list", zh="作业列表", request_type="GET", request_url=f"{base}/tasks"),
        ServiceApi(en="delete task", zh="删除作业", request_type="DELETE", request_url=task),
        ServiceApi(
            en="start task", zh="作业启动", request_type="PUT", request_url=f"{task}/action/start"
        ),
        ServiceApi(
            en="stop task", zh="作业停止", request_type="PUT", request_url=f"{task}/action/stop"
        ),
    ]


class AlgorithmService:
    def __init__(self, session: AsyncSession, project_id: str) -> None:
        self.session = session
        self.project_id = project_id
        self.deployments = AlgorithmDeploymentRepository(session)

    @staticmethod
    def _by_alg_id(alg_id: str) -> ServiceSpec:
        spec = find_by_alg_id(alg_id)
        if spec is None:
            raise NotFound(f"Algorithm {alg_id} does not exist.", param="alg_id")
        return spec

    @staticmethod
    def _item(spec: ServiceSpec, status: str) -> dict[str, Any]:
        return {
            "alg_id": spec.alg_id,
            "alg_status": status,
            "alg_version": spec.version,
            "company": COMPANY,
            "created_at": spec.created_at,
            "deploy_type": spec.deploy_type,
            "description": spec.description,
            "function_version": spec.version,
            "service_id": spec.service_id,
            "service_name": spec.service_name,
            "tags": list(spec.tags),
        }

    async def list_page(
        self, query: ServiceQuery, *, limit: int | None, offset: int
    ) -> ServiceListResponse:
        deployments = await self.deployments.of_project(self.project_id)
        rows = []
        for spec in SERVICES:
            deployment = deployments.get(spec.alg_id)
            status = deployment.status if deployment else DEFAULT_STATUS
            if query.statuses and status not in query.statuses:
                continue
            if query.name_like and not _matches(spec, query.name_like):
                continue
            rows.append((spec, status))
        rows.sort(key=lambda row: row[0].service_name)
        if query.sort == "function_version":
            rows.sort(key=lambda row: tuple(int(p) for p in row[0].version.split(".")))
        else:
            rows.sort(key=lambda row: row[0].created_at)
        if query.descending:
            rows.reverse()
        page = rows[offset:] if limit is None else rows[offset : offset + limit]
        return ServiceListResponse(
            count=len(page),
            total=len(rows),
            service_list=[ServicesListInfo(**self._item(s, status)) for s, status in page],
        )

    async def show(self, service_id: str) -> ServiceDetail:
        spec = find_by_service_id(service_id)
        if spec is None:
            raise NotFound(f"Algorithm service {service_id} does not exist.", param="service_id")
        deployment = await self.deployments.get(self.project_id, spec.alg_id)
        return ServiceDetail(
            **self._item(spec, deployment.status if deployment else DEFAULT_STATUS),
            alg_name=spec.title_zh,
            alg_versions=list(spec.versions),
            api=spec.service_name,
            deployment_constraints=DeploymentConstraints(
                cpu_type=_cpu_type(),
                input_types=list(spec.input_types),
                output_types=list(spec.output_types),
                service_config=SERVICE_CONFIG_XML,
                task_config=task_config_xml(spec.config_model),
            ),
            pool_id=deployment.pool_id if deployment else None,
            release_at=spec.created_at,
            service_api_list=_api_list(self.project_id, spec),
            updated_at=deployment.updated_at if deployment else spec.created_at,
            config_schema=config_json_schema(spec),
        )

    async def _set(self, spec: ServiceSpec, status: str, body: DeployServiceReq | None) -> None:
        deployment = await self.deployments.get(self.project_id, spec.alg_id)
        if deployment is None:
            deployment = AlgorithmDeployment(
                project_id=self.project_id,
                alg_id=spec.alg_id,
                stream_count=0,
                deploy_config={},
                envs={},
            )
        deployment.status = status
        deployment.updated_at = now_ms()
        if body is not None:
            deployment.stream_count = body.stream_count
            deployment.pool_id = body.pool_id
            deployment.deploy_config = dict(body.deploy_config or {})
            deployment.envs = dict(body.envs or {})
        await self.deployments.add(deployment)

    async def deploy(self, alg_id: str, body: DeployServiceReq) -> ServiceSpec:
        spec = self._by_alg_id(alg_id)
        await self._set(spec, RUNNING, body)
        return spec

    async def stop(self, alg_id: str) -> ServiceSpec:
        spec = self._by_alg_id(alg_id)
        await self._set(spec, STOPPED, None)
        return spec
