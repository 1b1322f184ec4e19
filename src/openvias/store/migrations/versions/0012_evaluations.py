"""evaluation jobs: a labelled data set scored on the engine (openvias extension)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openvias.store.change_triggers import create_triggers, drop_triggers

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), server_default="", nullable=False),
        sa.Column("service_name", sa.String(length=64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("sweep", sa.String(length=255), nullable=True),
        sa.Column("goal", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("files_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("files_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("epoch", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_evaluations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    op.create_index(
        "ix_evaluations_project_created", "evaluations", ["project_id", "created_at", "id"]
    )
    op.create_index("ix_evaluations_state_lease", "evaluations", ["state", "lease_expires_at"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in create_triggers("evaluations"):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in drop_triggers("evaluations"):
            op.execute(statement)
    op.drop_index("ix_evaluations_state_lease", table_name="evaluations")
    op.drop_index("ix_evaluations_project_created", table_name="evaluations")
    op.drop_table("evaluations")
