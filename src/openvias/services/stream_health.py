"""Per-stream health as the API shows it, from what the engines write on their leases.

The numbers are current while the task's lease is held (not expired) and its owner wrote
them within 3 of its heartbeats; otherwise the rate fields are null, and ``stale`` tells
whether that is unexpected (an engine should be streaming it: STARTING, RUNNING, ABNORMAL
or RECOVERING) or not (a task waiting for a slot, stopped, finished or failed has no stream
to report on). The ``state`` is always the task's own VIAS state.

:func:`status_note` sums the same numbers up in one line for the task's ``status``
(ShowTaskInfo), e.g. ``stream healthy (excellent): 1.0 of 1.0 samples/s, lag 0.2 s``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.errors import TaskNotFound
from openvias.schemas.stream_health import StageMilliseconds, StreamHealthInfo, StreamHealthList
from openvias.services.task_views import iso_ms, shown_state
from openvias.store.repositories.stream_health import (
    STREAMING_STATES,
    StreamRow,
    stream_of_task,
    streams_page,
)

#: The longest ``status_note`` (ShowTaskInfo's ``status`` takes 4096 characters in all).
NOTE_MAX_CHARS = 200
#: Qualities whose running stream reads as healthy in the note.
_HEALTHY = ("excellent", "fair")

#: Heartbeats a health may miss before it reads as stale.
STALE_AFTER_HEARTBEATS = 3
_DEFAULT_HEARTBEAT_MS = 5000


class StreamHealthService:
    def __init__(self, session: AsyncSession, project_id: str) -> None:
        self.session = session
        self.project_id = project_id

    async def show(self, task_id: str) -> StreamHealthInfo:
        row = await stream_of_task(self.session, self.project_id, task_id)
        if row is None:
            raise TaskNotFound(f"No task is found based on the task ID {task_id}.", param="task_id")
        return stream_view(row, now_ms())

    async def list_page(self, *, offset: int, limit: int) -> StreamHealthList:
        rows, total = await streams_page(self.session, self.project_id, offset=offset, limit=limit)
        now = now_ms()
        streams = [stream_view(row, now) for row in rows]
        return StreamHealthList(total=total, count=len(streams), streams=streams)


def is_current(row: StreamRow, now: int) -> bool:
    """The lease is held and its owner wrote the health within 3 heartbeats."""
    if row.owner is None or row.expires_at is None or row.expires_at < now:
        return False
    if row.health is None or row.health_at is None:
        return False
    heartbeat = _number(row.health.get("heartbeat_ms")) or _DEFAULT_HEARTBEAT_MS
    return now - row.health_at <= STALE_AFTER_HEARTBEATS * heartbeat


def stream_view(row: StreamRow, now: int) -> StreamHealthInfo:
    streaming = row.desired_state == "running" and row.state in STREAMING_STATES
    health = row.health or {}
    last_sample = _number(health.get("last_sample_ms"))
    view = StreamHealthInfo(
        task_id=row.task_id,
        task_name=row.task_name,
        service_name=row.service_name,
        state=shown_state(row.state),
        last_sample_at=iso_ms(int(last_sample)) if last_sample else None,
        updated_at=iso_ms(row.health_at) if row.health_at else None,
        stale=streaming,
    )
    if not streaming or not is_current(row, now):
        return view
    stages = health.get("stage_ms")
    if not isinstance(stages, dict):
        stages = {}
    return view.model_copy(
        update={
            "source_state": _word(health, "source_state", ("running", "abnormal", "starting")),
            "connection_quality": _word(
                health, "connection_quality", ("excellent", "fair", "poor", "unusable")
            ),
            "live": bool(health.get("live")),
            "expected_per_second": _number(health.get("expected_per_second")),
            "decoded_per_second": _number(health.get("decoded_per_second")),
            "analysed_per_second": _number(health.get("analysed_per_second")),
            "lag_seconds": _number(health.get("lag_seconds")),
            "position_seconds": _seconds(_number(health.get("position_ms"))),
            "reconnects_last_hour": _count(health.get("reconnects_last_hour")),
            "restarts_last_hour": _count(health.get("restarts_last_hour")),
            "stage_ms": StageMilliseconds(
                decode=_number(stages.get("decode")),
                convert=_number(stages.get("convert")),
                analyse=_number(stages.get("analyse")),
            ),
            "node": row.owner,
            "stale": False,
        }
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _seconds(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _word(health: dict[str, Any], key: str, allowed: tuple[str, ...]) -> Any:
    value = health.get(key)
    return value if value in allowed else None


def status_note(row: StreamRow, now: int) -> str:
    """A short summary of the stream's health for the task's ``status``; empty when the
    task has no stream to report on (not wanted running, or waiting for a slot). Built only
    from numbers of the stored health row (no address, no error text)."""
    view = stream_view(row, now)
    if row.desired_state != "running" or row.state not in STREAMING_STATES:
        return ""
    if view.stale:
        since = f" since {view.updated_at}" if view.updated_at else ""
        return f"stream health unknown: no current report from an engine{since}"
    reconnects = view.reconnects_last_hour or 0
    restarts = view.restarts_last_hour or 0
    history = [
        f"{reconnects} reconnect{'s' if reconnects != 1 else ''} in the last hour"
        if reconnects
        else "",
        f"{restarts} restart{'s' if restarts != 1 else ''} in the last hour" if restarts else "",
    ]
    if view.source_state == "abnormal":
        parts = ["source unreachable, reconnecting", *history]
        return _bounded("stream ABNORMAL: " + ", ".join(p for p in parts if p))
    if view.source_state != "running":
        return _bounded("stream starting: " + ", ".join(p for p in ["connecting", *history] if p))
    rate = f"{view.analysed_per_second or 0:.1f} of {view.expected_per_second or 0:.1f} samples/s"
    lag = f"lag {view.lag_seconds:.1f} s" if view.lag_seconds is not None else ""
    quality = view.connection_quality or "unusable"
    word = "healthy" if quality in _HEALTHY else "DEGRADED"
    parts = [rate, lag, *history]
    return _bounded(f"stream {word} ({quality}): " + ", ".join(p for p in parts if p))


def _bounded(note: str) -> str:
    return note if len(note) <= NOTE_MAX_CHARS else note[: NOTE_MAX_CHARS - 3] + "..."
