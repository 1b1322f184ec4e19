"""Tests that talk to the database directly (no server): a fresh database per module, migrated,
with a project to hang rows on."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.migrate import upgrade_to_head
from openvias.store.models import Domain, Project
from tests.support import PG_DSN, _pg, database


@pytest.fixture(scope="module")
def database_url(backend: str) -> Iterator[str]:
    """A fresh, empty database of ``backend`` for the test module; dropped afterwards."""
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
        yield url


@asynccontextmanager
async def fresh_database(backend: str, data_dir: Path) -> AsyncIterator[str]:
    """``tests.support.database`` for a test already inside an event loop."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{data_dir / 'openvias.db'}"
        return
    name = f"openvias_test_{uuid.uuid4().hex[:12]}"
    await _pg(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{PG_DSN.split('://', 1)[1]}/{name}"
    finally:
        await _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def migrated(url: str) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    """An engine on ``url`` migrated to head, and its sessionmaker; disposed afterwards."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        yield engine, create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def ensure_project(
    maker: async_sessionmaker[AsyncSession], project_id: str, name: str
) -> None:
    """The project ``project_id`` (in a domain of its own), created once."""
    async with transaction(maker) as session:
        if await session.get(Project, project_id) is not None:
            return
        now = datetime.now(UTC)
        domain_id = uuid.uuid5(uuid.NAMESPACE_OID, project_id).hex
        await session.execute(insert(Domain).values(id=domain_id, name=name, created_at=now))
        await session.execute(
            insert(Project).values(id=project_id, name=name, domain_id=domain_id, created_at=now)
        )
