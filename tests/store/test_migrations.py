"""The migrations, on real SQLite and PostgreSQL: head builds exactly the schema the models
declare, and every migration can be undone and applied again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from openvias.store import models  # noqa: F401  (fills the metadata)
from openvias.store.base import Base
from openvias.store.change_triggers import OPERATIONS, trigger_name
from openvias.store.db import UNANNOUNCED_TABLES, create_engine
from openvias.store.migrate import alembic_config, upgrade_to_head
from tests.db_support import fresh_database


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _indexes(connection: Connection, table: str) -> dict[str, list[str | None]]:
    return {ix["name"] or "": ix["column_names"] for ix in inspect(connection).get_indexes(table)}


async def test_head_is_the_schema_of_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
            indexes = await connection.run_sync(_indexes, "video_sources")
        assert indexes["ix_video_sources_project_created_id"] == ["project_id", "created_at", "id"]
        assert "ix_video_sources_project_created" not in indexes
    finally:
        await engine.dispose()


def _triggers(connection: Connection) -> set[str]:
    rows = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {str(name) for (name,) in rows}


@pytest.mark.only_backend("sqlite")
async def test_every_counted_table_bumps_the_change_counter(database_url: str) -> None:
    """SQLite: each table outside UNANNOUNCED_TABLES has its three triggers at head (a new
    table, or one that a batch migration recreated, must get them: change_triggers.py)."""
    counted = set(Base.metadata.tables) - UNANNOUNCED_TABLES - {"change_counter"}
    expected = {trigger_name(t, op) for t in counted for op in OPERATIONS}
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_triggers) == expected
    finally:
        await engine.dispose()


async def test_every_migration_is_undone_and_applied_again(database_url: str) -> None:
    engine = create_engine(database_url)
    config = alembic_config(database_url)

    def run(connection: Connection, action: str, revision: str) -> None:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.run_sync(run, "downgrade", "base")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


@pytest.mark.only_backend("postgresql")
async def test_replicas_starting_together_migrate_one_after_the_other(
    backend: str, tmp_path: Path
) -> None:
    """Several processes (API replicas, workers) that start at once on an empty database:
    each upgrade waits for the advisory lock, so one creates the schema and the others find
    it at head (without the lock they race to create the same tables and fail)."""
    async with fresh_database(backend, tmp_path) as url:
        engines = [create_engine(url) for _ in range(4)]
        try:
            # Without the lock they deadlock on each other's DDL (seen): a minute is ample.
            results = await asyncio.wait_for(
                asyncio.gather(*(upgrade_to_head(engine) for engine in engines)), 60
            )
        finally:
            for engine in engines:
                await engine.dispose()
    assert sum(1 for result in results if result.before is None) == 1
    assert len({result.after for result in results}) == 1
