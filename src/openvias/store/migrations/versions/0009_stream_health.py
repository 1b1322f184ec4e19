"""per-stream health on the lease: what the owner last measured, and when

``stream_leases`` has no change-counter triggers (``store.db.UNANNOUNCED_TABLES``), and
adding a column does not make batch mode copy the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stream_leases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("health_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stream_leases", schema=None) as batch_op:
        batch_op.drop_column("health_at")
        batch_op.drop_column("health")
