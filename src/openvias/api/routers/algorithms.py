"""Algorithm Center: ListUserServices, ShowServiceDetail, Deploy/StopDeployAlgorithm."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.schemas.algorithms import (
    UUID4_PATTERN,
    AlgStatus,
    DeployServiceReq,
    DeployServiceResp,
    ServiceDetail,
    ServiceListResponse,
    UpdateDeployAlgorithmResp,
)
from openvias.services.algorithms import AlgorithmService, ServiceQuery

router = APIRouter(prefix="/v2/{project_id}", tags=["Algorithm Center"], responses=PROJECT_ERRORS)

AlgIdPath = Annotated[str, Path(pattern=UUID4_PATTERN, max_length=36)]
ServiceIdPath = Annotated[str, Path(pattern=UUID4_PATTERN, max_length=36)]


@router.get(
    "/algorithm/services/user",
    response_model=ServiceListResponse,
    response_model_exclude_none=True,
    operation_id="ListUserServices",
)
async def list_user_services(
    project: CurrentProject,
    session: Session,
    name_like: Annotated[str | None, Query(max_length=255)] = None,
    is_paged: bool = False,
    page_size: Annotated[int, Query(ge=5, le=200)] = 10,
    page_num: Annotated[int, Query(ge=1, le=10000)] = 1,
    order_by: Annotated[Literal["desc", "asc"], Query()] = "desc",
    sort_name: Annotated[Literal["created_at", "function_version"], Query()] = "created_at",
    alg_status: Annotated[list[AlgStatus] | None, Query()] = None,
) -> ServiceListResponse:
    query = ServiceQuery(
        name_like=name_like,
        statuses=tuple(alg_status or ()),
        sort=sort_name,
        descending=order_by == "desc",
    )
    limit, offset = (page_size, (page_num - 1) * page_size) if is_paged else (None, 0)
    return await AlgorithmService(session, project.project_id).list_page(
        query, limit=limit, offset=offset
    )


@router.get(
    "/algorithm/services/{service_id}",
    response_model=ServiceDetail,
    response_model_exclude_none=True,
    operation_id="ShowServiceDetail",
)
async def show_service_detail(
    service_id: ServiceIdPath, project: CurrentProject, session: Session
) -> ServiceDetail:
    return await AlgorithmService(session, project.project_id).show(service_id)


@router.post(
    "/algorithm/{alg_id}/deploy", response_model=DeployServiceResp, operation_id="DeployAlgorithm"
)
async def deploy_algorithm(
    alg_id: AlgIdPath, body: DeployServiceReq, project: CurrentProject, session: Session
) -> DeployServiceResp:
    spec = await AlgorithmService(session, project.project_id).deploy(alg_id, body)
    return DeployServiceResp(alg_name=spec.title_zh)


@router.put(
    "/algorithm/{alg_id}/deploy/stop",
    response_model=UpdateDeployAlgorithmResp,
    operation_id="StopDeployAlgorithm",
)
async def stop_deploy_algorithm(
    alg_id: AlgIdPath, project: CurrentProject, session: Session
) -> UpdateDeployAlgorithmResp:
    spec = await AlgorithmService(session, project.project_id).stop(alg_id)
    return UpdateDeployAlgorithmResp(alg_id=spec.alg_id)
