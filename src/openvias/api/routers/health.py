"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import text

from openvias.api.deps import State
from openvias.api.handlers import _responses
from openvias.errors import ServiceUnavailable

router = APIRouter(tags=["Health"])


class HealthStatus(BaseModel):
    status: str


@router.get("/healthz", response_model=HealthStatus, responses=_responses(500))
async def healthz() -> HealthStatus:
    return HealthStatus(status="ok")


@router.get("/readyz", response_model=HealthStatus, responses=_responses(500, 503))
async def readyz(state: State) -> HealthStatus:
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable("The database is not reachable.", detail=str(exc)) from exc
    return HealthStatus(status="ready")


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **_responses(500)},
)
async def metrics(state: State) -> str:
    pool = state.engine.pool
    checked_out = getattr(pool, "checkedout", lambda: 0)()
    cache = state.read_cache
    return (
        "# HELP openvias_up 1 when the API process is serving.\n"
        "# TYPE openvias_up gauge\n"
        "openvias_up 1\n"
        "# HELP openvias_db_connections_in_use Database connections checked out.\n"
        "# TYPE openvias_db_connections_in_use gauge\n"
        f"openvias_db_connections_in_use {checked_out}\n"
        "# HELP openvias_read_cache_lookups_total ListVideoSources answers looked up in the "
        "read cache, by result.\n"
        "# TYPE openvias_read_cache_lookups_total counter\n"
        f'openvias_read_cache_lookups_total{{result="hit"}} {cache.hits}\n'
        f'openvias_read_cache_lookups_total{{result="miss"}} {cache.misses}\n'
        "# HELP openvias_read_cache_versions_total Database versions the read cache has seen "
        "(each one empties it).\n"
        "# TYPE openvias_read_cache_versions_total counter\n"
        f"openvias_read_cache_versions_total {cache.versions}\n"
        "# HELP openvias_direct_reads_total Answers read directly, before routing.\n"
        "# TYPE openvias_direct_reads_total counter\n"
        'openvias_direct_reads_total{operation="ShowVideoSourceDetail"} '
        f"{state.direct_shows}\n"
    )
