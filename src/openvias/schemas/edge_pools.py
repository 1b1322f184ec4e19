"""O&M Center: edge resource pools (Create/Delete/ListEdgePools, ShowEdgePoolInfo).

A pool is a named group of ``openvias worker --pool NAME`` processes; its nodes are those
workers. ``EdgeNode`` keeps the definition's ``EdgeNodeInfoDto`` fields and adds what an
openvias worker reports (slots, heartbeat, draining), which IEF nodes do not have.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from openvias.schemas.common import WireModel

POOL_NAME_PATTERN = r"^[a-z][a-z0-9-]{2,30}[a-z0-9]$"
#: Path id pattern of DeleteEdgePool and ShowEdgePoolInfo.
POOL_ID_PATTERN = r"^[a-zA-Z0-9-]{1,64}$"
NAME_LIKE_PATTERN = r"^[a-z0-9-]{1,30}$"
#: A pool is Running when one of its workers is live, else Abnormal.
PoolState = Literal["Running", "Abnormal"]
#: A worker that sends heartbeats is Running (Draining once told to stop), else FAIL.
NodeState = Literal["Running", "Draining", "FAIL"]
NodeId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
#: openvias has one workspace per project.
WORKSPACE_ID = "0"


class EdgePoolCreate(WireModel):
    name: str = Field(pattern=POOL_NAME_PATTERN)
    nodes: list[NodeId] = Field(min_length=1, max_length=10)
    description: str = Field("", max_length=255)
    #: Accepted for compatibility; openvias has no IEF instance.
    ief_service_instance_id: str | None = Field(None, max_length=255)


class EdgePoolCreated(WireModel):
    id: str


class EdgePoolListItem(WireModel):
    id: str
    name: str
    description: str
    project_id: str
    state: PoolState
    workspace_id: str = WORKSPACE_ID
    created_at: int
    updated_at: int


class EdgePoolList(WireModel):
    count: int
    edge_pools: list[EdgePoolListItem]


class EdgeNode(WireModel):
    """One worker of the pool, or a node named on create that never registered."""

    id: str = Field(description="The worker's node id (the owner of its stream leases).")
    name: str = Field(description="The host the worker runs on (its id when unknown).")
    state: NodeState
    enable_gpu: bool = False
    enable_npu: bool = False
    gpu_info: list[dict[str, str]] = Field(default_factory=list)
    npu_info: list[dict[str, str]] = Field(default_factory=list)
    slots: int = Field(0, description="Streams the worker may run at once (extension).")
    slots_used: int = Field(0, description="Streams it runs (extension).")
    slots_free: int = Field(0, description="Streams it may still take (extension).")
    heartbeat_age_ms: int | None = Field(
        None, description="Since its last heartbeat; absent when it never registered."
    )
    draining: bool = False
    version: str | None = None


class EdgePoolInfo(EdgePoolListItem):
    nodes: list[EdgeNode]
