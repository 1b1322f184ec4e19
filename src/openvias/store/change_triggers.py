"""SQLite triggers that bump the change counter (``models/changes.py``) on every insert,
update and delete of a table. Migrations create them for every table outside
``store.db.UNANNOUNCED_TABLES``; a migration that creates such a table, or recreates one
(Alembic's batch mode on SQLite copies a table, and its triggers are lost), must call
:func:`create_triggers` for it: ``tests/store/test_migrations.py`` checks that head has them
all. Keep these functions' output stable: migrations depend on them."""

from __future__ import annotations

OPERATIONS = ("insert", "update", "delete")


def trigger_name(table: str, operation: str) -> str:
    return f"openvias_changes_{table}_{operation}"


def create_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {trigger_name(table, op)} AFTER {op.upper()} ON {table} "
        "BEGIN UPDATE change_counter SET version = version + 1 WHERE id = 1; END"
        for op in OPERATIONS
    ]


def drop_triggers(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {trigger_name(table, op)}" for op in OPERATIONS]
