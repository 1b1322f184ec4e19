"""Event Center rules, one row per project (an openvias extension, vias-api.md §11.4).

``EventRules`` holds the repeated-event aggregation switch and its window; a project without
a row has the defaults (aggregation off, 10 minutes). Times are epoch milliseconds.

The aggregation lookup (``store/repositories/alarm_events.py``) finds the newest primary
event of one (project, stream, service, event type) before a given alarm time;
``ix_alarm_events_aggregation`` is that index. It is declared here, beside the feature
that needs it, and belongs to ``alarm_events`` (migration 0005).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base
from openvias.store.models.engine import AlarmEvent

#: The window when a project has never set one (minutes, 1-1440).
DEFAULT_AGGREGATION_MINUTES = 10


class EventRules(Base):
    __tablename__ = "event_rules"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    #: Repeated-event aggregation: when on, an alarm of the same stream, service and event
    #: type as a primary event less than ``aggregation_minutes`` older becomes its secondary.
    aggregation_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    aggregation_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_AGGREGATION_MINUTES)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


Index(
    "ix_alarm_events_aggregation",
    AlarmEvent.project_id,
    AlarmEvent.stream_id,
    AlarmEvent.service_name,
    AlarmEvent.event_type,
    AlarmEvent.timestamp,
)
