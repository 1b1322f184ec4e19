"""``openvias admin``: identity administration straight against the database."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.errors import OpenViasError
from openvias.services.identity import IdentityService
from openvias.settings import Settings

app = typer.Typer(help="Administer users, projects, grants and access keys.", no_args_is_help=True)

T = TypeVar("T")

DomainOption = Annotated[
    str | None,
    typer.Option(help="Domain of the user; needed only when the name exists in several."),
]


def run_in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from openvias.store.db import create_engine, create_sessionmaker, transaction
    from openvias.store.migrate import upgrade_to_head

    async def go() -> T:
        settings = Settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.resolved_database_url)
        try:
            await upgrade_to_head(engine)
            async with transaction(create_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except OpenViasError as exc:
        typer.echo(f"openvias: error: {exc.message}", err=True)
        raise typer.Exit(code=2) from exc
    except (OSError, SQLAlchemyError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        typer.echo(f"openvias: error: the database cannot be used: {first_line}", err=True)
        raise typer.Exit(code=1) from exc


@app.command("create-user")
def create_user(
    domain: Annotated[str, typer.Option(help="Domain (created if missing).")],
    user: Annotated[str, typer.Option(help="User name.")],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    """Create a user; the password is read from standard input."""
    if not password_stdin:
        typer.echo("openvias: error: give --password-stdin and the password on stdin", err=True)
        raise typer.Exit(code=2)
    password = sys.stdin.readline().rstrip("\r\n")
    created = run_in_transaction(lambda s: IdentityService(s).create_user(domain, user, password))
    typer.echo(json.dumps({"id": created.id, "name": created.name, "domain": domain}))


@app.command("create-project")
def create_project(
    domain: Annotated[str, typer.Option(help="Domain (created if missing).")],
    name: Annotated[str, typer.Option(help="Project name.")],
) -> None:
    """Create a project and print its id."""
    project = run_in_transaction(lambda s: IdentityService(s).create_project(domain, name))
    typer.echo(json.dumps({"id": project.id, "name": project.name, "domain": domain}))


@app.command("grant")
def grant(
    user: Annotated[str, typer.Option(help="User name.")],
    project: Annotated[str, typer.Option(help="Project name or id.")],
    domain: DomainOption = None,
) -> None:
    """Let a user act in a project."""

    async def work(session: AsyncSession) -> dict[str, str]:
        identity = IdentityService(session)
        found_user = await identity.find_user(user, domain)
        found_project = await identity.find_project(project, found_user.domain_id)
        await identity.grant(found_user, found_project)
        return {
            "user": found_user.name,
            "project": found_project.name,
            "project_id": found_project.id,
        }

    typer.echo(json.dumps(run_in_transaction(work)))


@app.command("create-access-key")
def create_access_key(
    user: Annotated[str, typer.Option(help="User name.")],
    domain: DomainOption = None,
) -> None:
    """Create an AK/SK pair for SDK-HMAC-SHA256 signing."""

    async def work(session: AsyncSession) -> dict[str, str]:
        identity = IdentityService(session)
        access, secret = await identity.create_access_key(await identity.find_user(user, domain))
        return {"access": access, "secret": secret}

    typer.echo(json.dumps(run_in_transaction(work)))
