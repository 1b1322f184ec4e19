"""distributed mode: engine workers, edge pools, and the pool a task runs on

``engine_workers`` is written by every heartbeat: it has no change-counter triggers
(``store.db.UNANNOUNCED_TABLES``). ``edge_pools`` is user configuration and has them.
Adding a column and an index does not make batch mode copy ``tasks``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openvias.store.change_triggers import create_triggers, drop_triggers

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engine_workers",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("pool", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger(), nullable=False),
        sa.Column("draining", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engine_workers")),
    )
    op.create_index("ix_engine_workers_pool_heartbeat", "engine_workers", ["pool", "heartbeat_at"])
    op.create_table(
        "edge_pools",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=255), server_default="", nullable=False),
        sa.Column("nodes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_edge_pools_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edge_pools")),
        sa.UniqueConstraint("name", name=op.f("uq_edge_pools_name")),
    )
    op.create_index(op.f("ix_edge_pools_project_id"), "edge_pools", ["project_id"])
    op.add_column("tasks", sa.Column("edge_pool_id", sa.String(length=36), nullable=True))
    op.create_index(op.f("ix_tasks_edge_pool_id"), "tasks", ["edge_pool_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in create_triggers("edge_pools"):
            op.execute(statement)
    _backfill_edge_pool_ids()


def _backfill_edge_pool_ids() -> None:
    """VAS tasks kept their ``edge_pool_id`` in ``input``; copy it to the column."""
    tasks = sa.table(
        "tasks",
        sa.column("id", sa.String()),
        sa.column("input", sa.JSON()),
        sa.column("edge_pool_id", sa.String()),
    )
    bind = op.get_bind()
    for task_id, task_input in bind.execute(sa.select(tasks.c.id, tasks.c.input)).all():
        pool_id = task_input.get("edge_pool_id") if isinstance(task_input, dict) else None
        if isinstance(pool_id, str) and pool_id:
            bind.execute(
                tasks.update().where(tasks.c.id == task_id).values(edge_pool_id=pool_id[:36])
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_tasks_edge_pool_id"), table_name="tasks")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("edge_pool_id")
    if op.get_bind().dialect.name == "sqlite":
        # Dropping a column copies ``tasks`` on SQLite: its triggers go with it.
        for statement in drop_triggers("tasks") + create_triggers("tasks"):
            op.execute(statement)
        for statement in drop_triggers("edge_pools"):
            op.execute(statement)
    op.drop_index(op.f("ix_edge_pools_project_id"), table_name="edge_pools")
    op.drop_table("edge_pools")
    op.drop_index("ix_engine_workers_pool_heartbeat", table_name="engine_workers")
    op.drop_table("engine_workers")
