"""room for sealed access-key secrets (AES-GCM under a key outside the database)

The secrets themselves are sealed by the application at start (``services/access_keys.py``,
``seal_plaintext_secrets``): the key is not the migration's to know.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openvias.store.change_triggers import create_triggers, drop_triggers

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _resize(old: int, new: int) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # batch mode copies the table: its change-counter triggers go with it
        for statement in drop_triggers("access_keys"):
            op.execute(statement)
    with op.batch_alter_table("access_keys", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(old), type_=sa.String(new))
    if sqlite:
        for statement in create_triggers("access_keys"):
            op.execute(statement)


def upgrade() -> None:
    _resize(64, 255)


def downgrade() -> None:
    # Sealed secrets do not fit 64 characters: unseal them before going back.
    _resize(255, 64)
