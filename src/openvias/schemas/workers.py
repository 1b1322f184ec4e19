"""The workers listing (``GET /v2/{project_id}/workers``, ``openvias workers``): an
openvias extension, not in the VIAS definitions."""

from __future__ import annotations

from pydantic import Field

from openvias.schemas.common import WireModel


class WorkerTask(WireModel):
    task_id: str
    lease_age_ms: int = Field(description="Since the worker last claimed or renewed the lease.")
    lease_expires_in_ms: int = Field(description="Negative once the lease has expired.")


class WorkerInfo(WireModel):
    id: str = Field(description="The node id: the owner of the worker's stream leases.")
    pool: str = Field(description="`default` or the name of an edge pool.")
    host: str
    pid: int
    version: str
    live: bool = Field(description="It sent a heartbeat within the lease time.")
    draining: bool
    slots: int
    slots_used: int
    slots_free: int
    started_at: int
    heartbeat_at: int
    heartbeat_age_ms: int
    tasks: list[WorkerTask] = Field(
        description="What it runs (through the API: of the caller's project only)."
    )


class WorkerList(WireModel):
    count: int
    workers: list[WorkerInfo]
