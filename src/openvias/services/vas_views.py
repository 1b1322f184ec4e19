"""Tasks through the VAS legacy API: how a VAS input and timing are stored, and how any
task (created through VIAS or VAS) is shown as a VAS TaskDetails.

Storage keeps one vocabulary where the two APIs mean the same thing, so both views stay
valid: VAS ``edgerestful`` input is stored as VIAS ``restful``; VAS ``weekly`` timing with
``periods`` is stored as the VIAS weekly ``schedule`` (``periods`` as one list of windows
for every day). Other VAS timings (once, daily, monthly, frequency) are stored as given.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openvias.domain.algorithm_catalogue import find_service
from openvias.schemas.vas import (
    VasState,
    VasTaskInput,
    VasTaskInputData,
    VasTaskTiming,
)
from openvias.schemas.vas_responses import (
    VasHostingResult,
    VasServiceTitle,
    VasTaskDetails,
    VasTaskError,
    VasTaskShown,
)
from openvias.services.rendering import shown
from openvias.services.task_views import EffectiveTask, iso_ms

#: Stored states the VAS enum lacks, and what VAS shows instead (``status`` names the real one).
_STATE_FOR_VAS = {"SCHEDULING": "PENDING", "LACK_OF_RESOURCES": "START_FAILED"}
_STORED_TYPE = {"edgerestful": "restful"}
_VAS_TYPE = {"restful": "edgerestful"}
_INPUT_KEYS = frozenset(VasTaskInputData.model_fields)
_OUTPUTS = ("obs", "dis", "webhook", "localpath")
_OFFSET = re.compile(r"^(?:GMT|UTC)?([+-][0-9]{2}:[0-9]{2})$")


def vas_state(state: str) -> VasState:
    return cast(VasState, _STATE_FOR_VAS.get(state, state))


def stored_states(state: str) -> list[str]:
    """The stored states a VAS ``state`` filter matches."""
    return [state, *(stored for stored, shown in _STATE_FOR_VAS.items() if shown == state)]


def stored_input(
    task_input: VasTaskInput, entry: VasTaskInputData, edge_pool_id: str | None
) -> dict[str, Any]:
    stored: dict[str, Any] = {
        "type": _STORED_TYPE.get(task_input.type, task_input.type),
        "data": [entry.model_dump(mode="json", exclude_none=True)],
    }
    if task_input.vcn is not None:
        stored["vcn"] = task_input.vcn.model_dump(mode="json")
    if edge_pool_id is not None:
        stored["edge_pool_id"] = edge_pool_id
    return stored


def stored_timing(timing: VasTaskTiming) -> dict[str, Any]:
    if timing.type == "weekly" and timing.periods is not None:
        return {
            "type": "weekly",
            "timezone": timing.timezone,
            "days_of_week": list(timing.days_of_week or []),
            "periods": [[period.model_dump() for period in timing.periods]],
        }
    return timing.model_dump(mode="json", exclude_none=True)


def _offset(timezone: str) -> str:
    matched = _OFFSET.match(timezone)
    if matched:
        return matched.group(1)
    try:
        delta = datetime.now(ZoneInfo(timezone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def vas_timing(schedule: dict[str, Any] | None) -> dict[str, Any] | None:
    """The VAS ``timing`` of a stored schedule; None when there is none, or when a VIAS
    weekly schedule has different windows per day (VAS periods apply to every day)."""
    if not schedule:
        return None
    periods = schedule.get("periods")
    is_vias_weekly = (
        schedule.get("type") == "weekly"
        and isinstance(periods, list)
        and all(isinstance(day, list) for day in periods)
    )
    if not is_vias_weekly:
        return schedule
    days: list[int] = list(schedule.get("days_of_week") or [])
    periods = cast(list[list[dict[str, Any]]], periods)
    per_day = periods * len(days) if len(periods) == 1 else periods
    active = [(day, windows) for day, windows in zip(days, per_day, strict=False) if windows]
    if not active or any(windows != active[0][1] for _, windows in active):
        return None
    return {
        "type": "weekly",
        "timezone": _offset(str(schedule.get("timezone", "+00:00"))),
        "days_of_week": [day for day, _ in active],
        "periods": active[0][1],
    }


def vas_input(stored: dict[str, Any], source_url: str | None) -> dict[str, Any]:
    """A VIAS ``video_source`` input is shown as a ``url`` input of the source's stream."""
    kind = str(stored.get("type", ""))
    if kind == "video_source":
        return {"type": "url", "data": [{"url": source_url} if source_url else {}]}
    shown: dict[str, Any] = {
        "type": _VAS_TYPE.get(kind, kind),
        "data": [
            {key: value for key, value in entry.items() if key in _INPUT_KEYS}
            for entry in (stored.get("data") or [{}])
        ],
    }
    if stored.get("vcn") is not None:
        shown["vcn"] = stored["vcn"]
    return shown


def vas_output(output: dict[str, Any]) -> dict[str, Any]:
    """The display form: ``hosting`` gains ``obs`` (where results are hosted; none yet)."""
    shown = {key: output[key] for key in _OUTPUTS if key in output}
    if "hosting" in output:
        shown["hosting"] = {**output["hosting"], "obs": []}
    if not shown and output.get("event_center"):
        shown["event_center"] = True
    return shown


def task_details(
    effective: EffectiveTask, *, source_url: str | None, with_hosting: bool = False
) -> VasTaskDetails:
    task = effective.task
    spec = find_service(task.service_name)
    title = (
        VasServiceTitle(zh=spec.title_zh, en=spec.title_en)
        if spec is not None
        else VasServiceTitle(zh=task.service_name, en=task.service_name)
    )
    state = vas_state(task.state)
    timing = vas_timing(effective.schedule)
    output = vas_output(effective.output)
    fields: dict[str, Any] = {
        "id": task.id,
        "name": task.name,
        "description": task.description,
        "creator": task.creator or "unknown",
        "project_id": task.project_id,
        "service_name": task.service_name,
        "service_version": task.service_version,
        "service_title": title,
        "edge_pool_id": task.input.get("edge_pool_id"),
        "resource_order_id": effective.resource_order_id,
        "created_at": iso_ms(task.created_at),
        "updated_at": iso_ms(effective.updated_at),
        "state": state,
        "status": task.status or (task.state if state != task.state else None),
        "error": VasTaskError(code=task.error_code, message=task.error_message or task.error_code)
        if task.error_code
        else None,
        "timing_status": "ACTIVATED" if effective.schedule else "INACTIVATED",
        "timing": timing,
        "input": vas_input(task.input, source_url),
        "output": output,
        "service_config": effective.config,
    }
    fields = shown(fields, what=f"task {task.id}")
    if not with_hosting:
        return VasTaskDetails(**fields)
    hosting = VasHostingResult(status="NOT_GENERATED") if "hosting" in output else None
    return VasTaskShown(**fields, hosting_result=hosting)
