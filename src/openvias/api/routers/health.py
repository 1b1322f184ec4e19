"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import text

from openvias.api.deps import State
from openvias.api.handlers import _responses
from openvias.api.metrics import exposition
from openvias.errors import NotFound, ServiceUnavailable

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
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, **_responses(404, 500)},
)
async def metrics(state: State) -> Response:
    """Prometheus metrics (unauthenticated, like ``/healthz``; off with
    ``OPENVIAS_METRICS_ENABLED=false``)."""
    if not state.settings.metrics_enabled:
        raise NotFound("Metrics are turned off on this server.")
    body = await exposition(state, state.outbox_gauge)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
