"""All SQL lives in ``store/`` (CONVENTIONS.md): a service module takes its session type and
database errors from SQLAlchemy, never a query builder, and runs no statement itself.

import-linter cannot say this: it forbids an external package only whole (its graph holds
``sqlalchemy``, not ``sqlalchemy.sql``), ``from sqlalchemy import select`` imports the top
package anyway, and services rightly import ``AsyncSession`` and ``IntegrityError``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import openvias.services

SERVICES = Path(openvias.services.__file__).parent
#: What a service may take from SQLAlchemy: sessions and their factories, errors.
ALLOWED = frozenset({"sqlalchemy.ext.asyncio", "sqlalchemy.exc"})
#: Session methods that run a statement (``get``, ``add``, ``delete`` and ``flush`` are
#: the ORM's unit of work and stay allowed).
STATEMENT_RUNNERS = frozenset({"execute", "scalar", "scalars", "stream", "stream_scalars"})


def _is_sqlalchemy(module: str) -> bool:
    return module == "sqlalchemy" or module.startswith("sqlalchemy.")


def sql_in(source: str) -> list[str]:
    """Where ``source`` imports a query builder or runs a statement, as ``line: what``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and _is_sqlalchemy(node.module):
            if node.module not in ALLOWED:
                names = ", ".join(alias.name for alias in node.names)
                found.append((node.lineno, f"from {node.module} import {names}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                # A plain ``import sqlalchemy.exc`` binds ``sqlalchemy``, builders and all.
                if _is_sqlalchemy(alias.name) and (
                    alias.name not in ALLOWED or alias.asname is None
                ):
                    found.append((node.lineno, f"import {alias.name}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in STATEMENT_RUNNERS
        ):
            found.append((node.lineno, f"runs a statement with .{node.func.attr}()"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_services_neither_build_nor_run_sql() -> None:
    modules = sorted(SERVICES.rglob("*.py"))
    assert len(modules) > 20  # the services package was found
    found = [
        f"services/{path.relative_to(SERVICES)}:{where}"
        for path in modules
        for where in sql_in(path.read_text(encoding="utf-8"))
    ]
    assert not found, "move these behind store/repositories/:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select",
        "from sqlalchemy import func, update",
        "from sqlalchemy.sql import and_",
        "from sqlalchemy.orm import selectinload",
        "import sqlalchemy",
        "import sqlalchemy as sa",
        "import sqlalchemy.exc",
        "async def f(session):\n    await session.execute(stmt)",
        "async def f(self):\n    return await self.session.scalar(stmt)",
        "async def f(session):\n    return list(await session.scalars(stmt))",
    ],
)
def test_the_check_finds_sql(source: str) -> None:
    assert sql_in(source)


def test_the_check_allows_sessions_and_errors() -> None:
    source = (
        "from sqlalchemy.exc import IntegrityError\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n"
        "import sqlalchemy.exc as db_errors\n"
        "async def f(session):\n"
        "    await session.get(Task, 'id')\n"
        "    session.add(row)\n"
        "    await session.delete(row)\n"
        "    await session.flush()\n"
    )
    assert sql_in(source) == []
