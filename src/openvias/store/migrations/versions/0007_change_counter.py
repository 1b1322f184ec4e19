"""the change counter, bumped by SQLite triggers on the tables cached reads depend on

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 13:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openvias.store.change_triggers import create_triggers, drop_triggers

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every table at this revision but store.db.UNANNOUNCED_TABLES (written often, read by no
#: cached answer: alarms, leases, the outbox, deliveries, tokens, event rules).
_COUNTED = (
    "access_keys",
    "algorithm_deployments",
    "batch_task_groups",
    "batch_tasks",
    "domains",
    "grants",
    "projects",
    "resource_orders",
    "task_templates",
    "tasks",
    "users",
    "video_group_members",
    "video_groups",
    "video_sources",
)


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_counter")),
    )
    op.execute("INSERT INTO change_counter (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in _COUNTED:
            for statement in create_triggers(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _COUNTED:
            for statement in drop_triggers(table):
                op.execute(statement)
    op.drop_table("change_counter")
