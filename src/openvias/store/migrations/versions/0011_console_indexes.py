"""console indexes: deliveries by project and time, alarms by time and filter, and the
latest failure kept on the delivery row

``deliveries.last_failed_at`` is the start of the delivery's latest failed attempt, so the
delivery summary's "latest failure" reads one index instead of joining every attempt.
It is filled from the attempts recorded so far.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DELIVERY_INDEXES = {
    "ix_deliveries_project_created": ["project_id", "created_at", "id"],
    "ix_deliveries_project_state_created": ["project_id", "state", "created_at", "id"],
    "ix_deliveries_project_sink_state": ["project_id", "sink", "state"],
    "ix_deliveries_project_failed": ["project_id", "last_failed_at"],
    "ix_deliveries_project_event": ["project_id", "event_id", "created_at", "id"],
    "ix_deliveries_project_event_state": ["project_id", "event_id", "state", "last_failed_at"],
}
_ALARM_INDEXES = {
    "ix_alarm_events_project_time": [
        "project_id",
        "timestamp",
        "service_name",
        "review_state",
        "primary_id",
    ],
    # primary_id after the filter: every list but include_secondary=true asks for
    # primary_id IS NULL (or = a primary), and the page is then read off the index in order.
    "ix_alarm_events_project_service_created": [
        "project_id",
        "service_name",
        "primary_id",
        "created_at",
        "id",
    ],
    "ix_alarm_events_project_review_created": [
        "project_id",
        "review_state",
        "primary_id",
        "created_at",
        "id",
    ],
    "ix_alarm_events_project_task_created": [
        "project_id",
        "task_id",
        "primary_id",
        "created_at",
        "id",
    ],
    "ix_alarm_events_project_source_created": [
        "project_id",
        "video_source_id",
        "primary_id",
        "created_at",
        "id",
    ],
    "ix_alarm_events_project_primary_created": ["project_id", "primary_id", "created_at", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_failed_at", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE deliveries SET last_failed_at = (SELECT max(a.started_at)"
        " FROM delivery_attempts a WHERE a.delivery_id = deliveries.id"
        " AND a.outcome <> 'delivered')"
    )
    for name, columns in _DELIVERY_INDEXES.items():
        op.create_index(name, "deliveries", columns)
    for name, columns in _ALARM_INDEXES.items():
        op.create_index(name, "alarm_events", columns)


def downgrade() -> None:
    for name in _ALARM_INDEXES:
        op.drop_index(name, table_name="alarm_events")
    for name in _DELIVERY_INDEXES:
        op.drop_index(name, table_name="deliveries")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("last_failed_at")
