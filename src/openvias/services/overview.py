"""The Overview summary (openvias extension): counts for the console's first page, from a
few grouped queries, in the user's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.domain.task_states import TaskState
from openvias.errors import InvalidParameter
from openvias.schemas.deliveries import DeliverySummary
from openvias.schemas.overview import (
    AlarmCounts,
    OverviewInfo,
    ServiceAlarms,
    TaskCounts,
    TaskStateCount,
)
from openvias.store.repositories.delivery_queries import DeliveryFilter, summary
from openvias.store.repositories.overview import (
    alarm_counts,
    newest_task_names,
    task_state_counts,
)

#: States the Overview lists under "needs attention", with their newest tasks' names.
ATTENTION_STATES = (
    TaskState.ABNORMAL,
    TaskState.START_FAILED,
    TaskState.CREATE_FAILED,
    TaskState.FAILED,
    TaskState.LACK_OF_RESOURCES,
)
NAMES_PER_STATE = 5


def day_and_week_start(tz: str, at_ms: int) -> tuple[int, int]:
    """Epoch seconds of 00:00 today and of Monday 00:00 this week in time zone ``tz``."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidParameter(f"Unknown time zone {tz!r}.", param="tz") from error
    now = datetime.fromtimestamp(at_ms / 1000, zone)
    today = datetime(now.year, now.month, now.day, tzinfo=zone)
    monday = today - timedelta(days=today.weekday())
    # Rebuilt from the date so that a DST change between Monday and today is honoured.
    week = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    return int(today.timestamp()), int(week.timestamp())


class OverviewService:
    def __init__(self, session: AsyncSession, project_id: str) -> None:
        self.session = session
        self.project_id = project_id

    async def summary(self, tz: str) -> OverviewInfo:
        today_start, week_start = day_and_week_start(tz, now_ms())
        per_state = await task_state_counts(self.session, self.project_id)
        attention = [s.value for s in ATTENTION_STATES if per_state.get(s.value)]
        names = await newest_task_names(self.session, self.project_id, attention, NAMES_PER_STATE)
        alarms = await alarm_counts(self.session, self.project_id, today_start, week_start)
        deliveries = await summary(self.session, self.project_id, DeliveryFilter())
        return OverviewInfo(
            tasks=TaskCounts(
                total=sum(per_state.values()),
                by_state=[
                    TaskStateCount(state=state, total=n, names=names.get(state, []))
                    for state, n in sorted(per_state.items())
                ],
            ),
            alarms=AlarmCounts(
                today_start=today_start,
                week_start=week_start,
                today=sum(row.today for row in alarms),
                week=sum(row.week for row in alarms),
                pending_review=sum(row.pending_review_week for row in alarms),
                per_service=[
                    ServiceAlarms(service_name=row.service_name, today=row.today, week=row.week)
                    for row in alarms
                ],
            ),
            deliveries=DeliverySummary(
                pending=deliveries.counts["pending"],
                delivered=deliveries.counts["delivered"],
                dead=deliveries.counts["dead"],
                last_error=deliveries.last_error,
                last_error_at=deliveries.last_error_at,
                last_error_delivery_id=deliveries.last_error_delivery_id,
            ),
        )
