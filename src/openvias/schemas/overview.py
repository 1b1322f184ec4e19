"""The Overview summary on the wire (openvias extension): in one answer, what the console's
first page shows. Every count equals the ``total`` of the list call it stands for."""

from __future__ import annotations

from pydantic import Field

from openvias.schemas.common import WireModel
from openvias.schemas.deliveries import DeliverySummary


class TaskStateCount(WireModel):
    state: str = Field(description="VIAS task state, upper case.")
    total: int = Field(description="ListTasks' total with this task_state.")
    names: list[str] = Field(
        description="For the states that need attention: the newest tasks' names."
    )


class TaskCounts(WireModel):
    total: int = Field(description="ListTasks' total.")
    by_state: list[TaskStateCount] = Field(description="States with at least one task.")


class ServiceAlarms(WireModel):
    service_name: str
    today: int
    week: int


class AlarmCounts(WireModel):
    today_start: int = Field(description="Start of the user's day, epoch seconds.")
    week_start: int = Field(description="Monday 00:00 of the user's week, epoch seconds.")
    today: int = Field(description="ListEvents' total with start_time=today_start.")
    week: int = Field(description="ListEvents' total with start_time=week_start.")
    pending_review: int = Field(
        description="ListEvents' total with start_time=week_start, review_state=pending."
    )
    per_service: list[ServiceAlarms] = Field(description="Services with alarms this week.")


class OverviewInfo(WireModel):
    tasks: TaskCounts
    alarms: AlarmCounts
    deliveries: DeliverySummary = Field(description="ListDeliveries' summary, no filter.")
