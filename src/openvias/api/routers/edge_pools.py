"""O&M Center: edge resource pools (Create/Delete/ListEdgePools, ShowEdgePoolInfo)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from openvias.api.deps import CurrentProject, Session, State
from openvias.api.handlers import PROJECT_ERRORS
from openvias.schemas.edge_pools import (
    NAME_LIKE_PATTERN,
    POOL_ID_PATTERN,
    EdgePoolCreate,
    EdgePoolCreated,
    EdgePoolInfo,
    EdgePoolList,
    PoolState,
)
from openvias.services.edge_pools import EdgePoolService
from openvias.store.repositories.edge_pools import PoolFilter

router = APIRouter(prefix="/v2/{project_id}", tags=["O&M Center"], responses=PROJECT_ERRORS)

PoolIdPath = Annotated[str, Path(pattern=POOL_ID_PATTERN)]


def _service(session: Session, project: CurrentProject, state: State) -> EdgePoolService:
    ttl_ms = int(state.settings.lease_ttl_seconds * 1000)
    return EdgePoolService(session, project.project_id, ttl_ms)


Pools = Annotated[EdgePoolService, Depends(_service)]


@router.post(
    "/edge-pools", status_code=201, response_model=EdgePoolCreated, operation_id="CreateEdgePool"
)
async def create_edge_pool(body: EdgePoolCreate, pools: Pools) -> EdgePoolCreated:
    return EdgePoolCreated(id=await pools.create(body))


@router.delete(
    "/edge-pools/{id}", status_code=204, response_class=Response, operation_id="DeleteEdgePool"
)
async def delete_edge_pool(id: PoolIdPath, pools: Pools) -> Response:
    await pools.delete(id)
    return Response(status_code=204)


@router.get("/edge-pools", response_model=EdgePoolList, operation_id="ListEdgePools")
async def list_edge_pools(
    pools: Pools,
    is_paged: bool = False,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    page_num: Annotated[int, Query(ge=1, le=10000)] = 1,
    name_like: Annotated[str | None, Query(pattern=NAME_LIKE_PATTERN)] = None,
    order_by: Annotated[Literal["desc", "asc"], Query()] = "desc",
    sort_name: Annotated[Literal["created_at", "updated_at"], Query()] = "created_at",
    state: Annotated[PoolState | None, Query()] = None,
) -> EdgePoolList:
    pool_filter = PoolFilter(
        name_like=name_like,
        live=None if state is None else state == "Running",
        sort=sort_name,
        descending=order_by == "desc",
    )
    limit, offset = (page_size, (page_num - 1) * page_size) if is_paged else (None, 0)
    return await pools.list_page(pool_filter, limit=limit, offset=offset)


@router.get(
    "/edge-pools/{id}",
    response_model=EdgePoolInfo,
    response_model_exclude_none=True,
    operation_id="ShowEdgePoolInfo",
)
async def show_edge_pool(id: PoolIdPath, pools: Pools) -> EdgePoolInfo:
    return await pools.show(id)
