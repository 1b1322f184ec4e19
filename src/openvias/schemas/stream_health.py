"""Per-stream health (openvias extension): ShowTaskStream and ListStreams."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openvias.schemas.common import WireModel

SourceState = Literal["running", "abnormal", "starting"]
ConnectionQuality = Literal["excellent", "fair", "poor", "unusable"]


class StageMilliseconds(WireModel):
    """Mean milliseconds per analysed sample in each stage over the recent window."""

    decode: float | None = None
    convert: float | None = None
    analyse: float | None = None


class StreamHealthInfo(WireModel):
    """How one task's stream does. The rate fields are null unless the numbers are current
    (an engine holds the task and wrote them within 3 heartbeats)."""

    task_id: str
    task_name: str
    service_name: str
    #: The task's VIAS state (RUNNING, ABNORMAL, RECOVERING, STOPPED ...).
    state: str
    source_state: SourceState | None = None
    connection_quality: ConnectionQuality | None = None
    live: bool | None = None
    expected_per_second: float | None = None
    decoded_per_second: float | None = None
    analysed_per_second: float | None = None
    lag_seconds: float | None = None
    #: When the latest sample was analysed (ISO 8601 UTC).
    last_sample_at: str | None = None
    #: How far into its file the stream is (null for a live source).
    position_seconds: float | None = None
    reconnects_last_hour: int | None = None
    restarts_last_hour: int | None = None
    stage_ms: StageMilliseconds | None = None
    #: The engine node that runs the stream.
    node: str | None = None
    #: When the engine wrote these numbers (ISO 8601 UTC).
    updated_at: str | None = None
    #: True when the task should be streaming but no current numbers are there.
    stale: bool = False


class StreamHealthList(WireModel):
    total: int = Field(description="Tasks of the project that want streaming.")
    count: int
    streams: list[StreamHealthInfo]
