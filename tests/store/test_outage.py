"""Telling a database that went away from a statement that failed, with the errors a real
PostgreSQL gives: a query cut by a fast shutdown, a connection refused while it is down, a
pooled connection found dead after it is back, and a constraint violation (not an outage)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from openvias.store.db import create_engine
from openvias.store.outage import DatabaseOutage, database_unreachable, until_written
from tests.engine.private_postgres import PrivatePostgres, private_postgres


@pytest.fixture(scope="module")
def database() -> Iterator[PrivatePostgres]:
    with private_postgres() as pg:
        yield pg


async def _errors_of_a_restart(pg: PrivatePostgres) -> dict[str, BaseException]:
    engine = create_engine(pg.url)
    errors: dict[str, BaseException] = {}
    stopped = False
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING"))
            await connection.commit()
        try:
            async with engine.connect() as connection:
                await connection.execute(text("INSERT INTO t VALUES (1)"))
        except IntegrityError as exc:
            errors["constraint"] = exc

        async def long_query() -> None:
            try:
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT pg_sleep(10)"))
            except Exception as exc:
                errors["cut"] = exc

        cut = asyncio.create_task(long_query())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(pg.stop, "fast")
        stopped = True
        await cut
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            errors["refused"] = exc
    finally:
        await engine.dispose()
        if stopped:
            await asyncio.to_thread(pg.start)
    return errors


def test_the_errors_of_a_restart_are_outages_and_a_constraint_is_not(
    database: PrivatePostgres,
) -> None:
    errors = asyncio.run(_errors_of_a_restart(database))
    assert set(errors) == {"constraint", "cut", "refused"}, errors
    assert database_unreachable(errors["cut"])
    assert database_unreachable(errors["refused"])
    assert not database_unreachable(errors["constraint"])
    assert not database_unreachable(ValueError("a bug"))


def test_a_write_is_retried_until_the_database_is_back(
    database: PrivatePostgres, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> int:
        engine = create_engine(database.url)
        tries = 0

        async def write() -> None:
            nonlocal tries
            tries += 1
            async with engine.begin() as connection:
                await connection.execute(text("SELECT 1"))

        try:
            await asyncio.to_thread(database.stop, "fast")
            restart = asyncio.create_task(asyncio.to_thread(_start_later, database))
            outage = DatabaseOutage(logging.getLogger("test.outage"), "the test waits")
            await until_written(write, outage, give_up=lambda: False)
            await restart
        finally:
            await engine.dispose()
        return tries

    with caplog.at_level(logging.WARNING, logger="test.outage"):
        tries = asyncio.run(scenario())
    assert tries > 1
    lines = [r.getMessage() for r in caplog.records if r.name == "test.outage"]
    assert len(lines) == 2, lines  # one when it went, one when it came back
    assert lines[0].startswith("database unreachable"), lines
    assert lines[1].startswith("database reachable again"), lines


def _start_later(pg: PrivatePostgres) -> None:
    time.sleep(2)
    pg.start()


def test_a_statement_error_is_not_retried(database: PrivatePostgres) -> None:
    async def scenario() -> None:
        engine = create_engine(database.url)
        try:

            async def write() -> None:
                async with engine.begin() as connection:
                    await connection.execute(text("SELECT no_such_column FROM pg_class"))

            outage = DatabaseOutage(logging.getLogger("test.outage"), "the test waits")
            await until_written(write, outage, give_up=lambda: False)
        finally:
            await engine.dispose()

    with pytest.raises(Exception, match="no_such_column"):
        asyncio.run(scenario())
