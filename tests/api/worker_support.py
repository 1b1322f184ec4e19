"""Workers placed in the server's database as ``openvias worker`` registers them, with
leases on tasks of two projects (for the workers listing's tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.store.models import EngineWorker, StreamLease
from tests.api.event_support import on_db
from tests.api.identity_support import Tenant, create_tenant
from tests.api.vas_support import SMOKE, vas_body
from tests.support import Server


@dataclass(frozen=True)
class Fleet:
    """Two workers of one deployment: ``busy`` runs a task of each of two projects."""

    busy: str
    idle: str
    own_task: str
    foreign_task: str
    tenant: Tenant


def create_task(http: httpx.Client, project_id: str) -> str:
    answer = http.post(
        f"/v2/{project_id}/services/{SMOKE}/tasks", json=vas_body(f"t-{uuid.uuid4().hex[:10]}")
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()[0]["id"])


def place(server: Server, workers: list[dict[str, Any]], leases: dict[str, str]) -> None:
    """Register ``workers`` and give each task of ``leases`` (task -> owner) to its owner,
    renewed 2 s ago for the lease time of 15 s, as the engine does."""
    now = now_ms()

    async def write(session: AsyncSession) -> None:
        for worker in workers:
            session.add(EngineWorker(started_at=now - 60_000, **worker))
        for task_id, owner in leases.items():
            session.add(
                StreamLease(
                    task_id=task_id,
                    owner=owner,
                    epoch=1,
                    run=1,
                    expires_at=now + 13_000,
                    updated_at=now - 2_000,
                )
            )

    on_db(server, write)


def make_fleet(server: Server) -> Fleet:
    tenant = create_tenant(server)
    with server.client() as own, server.client(tenant.token) as other:
        own_task = create_task(own, server.project_id)
        foreign_task = create_task(other, tenant.project_id)
    tag = uuid.uuid4().hex[:8]
    busy, idle = f"busy-{tag}", f"idle-{tag}"
    now = now_ms()
    host = {"host": "host-1", "pid": 7, "version": "0.test"}
    place(
        server,
        [
            {"id": busy, "pool": "default", "slots": 4, "used": 2, "heartbeat_at": now - 1_000}
            | host,
            {"id": idle, "pool": "edge-a", "slots": 2, "used": 0, "heartbeat_at": now - 60_000}
            | host
            | {"draining": True},
        ],
        {own_task: busy, foreign_task: busy},
    )
    return Fleet(busy, idle, own_task, foreign_task, tenant)
