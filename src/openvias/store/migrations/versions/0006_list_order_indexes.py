"""indexes in the full list order (project_id, created_at, id) of sources and groups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("video_sources", "video_groups")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                f"ix_{table}_project_created_id", ["project_id", "created_at", "id"]
            )
            batch_op.drop_index(f"ix_{table}_project_created")


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_project_created", ["project_id", "created_at"])
            batch_op.drop_index(f"ix_{table}_project_created_id")
