"""Alarm deliveries on the wire: an openvias extension (VIAS documents its output channels
but no API to watch them, vias-api.md §11.1).

A delivery is one alarm (``event_id`` = its ``message_id``) going to one output of its task
(``sink``: webhook, obs or dis; ``target``: the task's output object when the alarm was
raised), with every attempt made so far. Times are epoch milliseconds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from openvias.schemas.common import WireModel

DeliveryState = Literal["pending", "delivered", "dead"]
SinkKind = Literal["webhook", "obs", "dis"]


class DeliveryAttemptInfo(WireModel):
    attempt: int = Field(description="1 for the first attempt; keeps counting after a retry.")
    started_at: int = Field(description="When the attempt began, epoch ms.")
    duration_ms: int
    outcome: Literal["delivered", "retry", "dead"] = Field(
        description="delivered; retry (a failure worth retrying, due again later); dead "
        "(refused for good, or the last attempt allowed)."
    )
    status_code: int | None = Field(description="The receiver's HTTP status, when it answered.")
    detail: str
    worker: str = Field(description="The delivery worker that made the attempt.")


class DeliveryInfo(WireModel):
    id: int
    event_id: str = Field(description="The alarm's message_id (see /v2/{project_id}/events).")
    task_id: str
    sink: SinkKind
    target: dict[str, Any] = Field(description="The task's output object for this sink.")
    state: DeliveryState
    attempts: int = Field(description="Attempts since the delivery was (re)queued.")
    next_attempt_at: int = Field(description="When a pending delivery is due, epoch ms.")
    last_error: str | None
    created_at: int = Field(description="When the alarm was stored, epoch ms.")
    delivered_at: int | None
    history: list[DeliveryAttemptInfo] = Field(description="Every attempt, oldest first.")


class DeliverySummary(WireModel):
    """Every delivery matching the filters other than ``state``, per state: with
    ``task_id``, how that task's alarms are getting out."""

    pending: int
    delivered: int
    dead: int
    last_error: str | None = Field(description="Detail of the latest failed attempt.")
    last_error_at: int | None = Field(description="When that attempt began, epoch ms.")
    last_error_delivery_id: int | None


class DeliveryList(WireModel):
    total: int = Field(description="Deliveries matching the filters, all pages.")
    summary: DeliverySummary
    deliveries: list[DeliveryInfo]
