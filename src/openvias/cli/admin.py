"""``openvias admin``: identity administration straight against the database."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.errors import OpenViasError
from openvias.services import access_keys
from openvias.services.access_keys import AccessKeyService, prepare_secret_box
from openvias.services.identity import IdentityService
from openvias.services.identity_admin import IdentityAdmin
from openvias.settings import Settings

app = typer.Typer(help="Administer users, projects, grants and access keys.", no_args_is_help=True)

T = TypeVar("T")

DomainOption = Annotated[
    str | None,
    typer.Option(help="Domain of the user; needed only when the name exists in several."),
]


@dataclass
class _Options:
    data_dir: Path | None = None


_options = _Options()


@app.callback()
def options(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Data folder whose database to act on (default: OPENVIAS_DATA_DIR)."),
    ] = None,
) -> None:
    """Administer users, projects, grants and access keys."""
    _options.data_dir = data_dir


def admin_settings() -> Settings:
    settings = Settings()
    if _options.data_dir is not None:
        settings = settings.model_copy(update={"data_dir": _options.data_dir})
    return settings


def run_in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from openvias.services.data_folder import prepare_private_data_dir
    from openvias.store.db import create_engine, create_sessionmaker, transaction
    from openvias.store.migrate import upgrade_to_head

    async def go() -> T:
        settings = admin_settings()
        prepare_private_data_dir(settings.data_dir)
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
        found = await IdentityService(session).find_user(user, domain)
        box = await prepare_secret_box(session, admin_settings())
        access, secret = await AccessKeyService(session, box).create(found)
        return {"access": access, "secret": secret}

    typer.echo(json.dumps(run_in_transaction(work)))


PasswordStdin = Annotated[bool, typer.Option(help="Read the password from stdin.")]


@app.command("revoke-grant")
def revoke_grant(
    user: Annotated[str, typer.Option(help="User name.")],
    project: Annotated[str, typer.Option(help="Project name or id.")],
    domain: DomainOption = None,
) -> None:
    """Take a user's access to a project away, live tokens included."""

    async def work(session: AsyncSession) -> dict[str, str]:
        admin = IdentityAdmin(session)
        found_user = await admin.identity.find_user(user, domain)
        found_project = await admin.identity.find_project(project, found_user.domain_id)
        await admin.revoke_grant(found_user, found_project)
        return {"user": found_user.name, "project": found_project.name, "revoked": "grant"}

    typer.echo(json.dumps(run_in_transaction(work)))


def _set_user_enabled(domain: str, user: str, enabled: bool) -> None:
    async def work(session: AsyncSession) -> dict[str, object]:
        admin = IdentityAdmin(session)
        found = await admin.user(domain, user)
        await admin.set_user_enabled(found, enabled)
        return {"user": found.name, "domain": domain, "enabled": enabled}

    typer.echo(json.dumps(run_in_transaction(work)))


@app.command("disable-user")
def disable_user(
    domain: Annotated[str, typer.Option(help="Domain of the user.")],
    user: Annotated[str, typer.Option(help="User name.")],
) -> None:
    """Refuse a user's tokens, access keys and logins (until enable-user)."""
    _set_user_enabled(domain, user, False)


@app.command("enable-user")
def enable_user(
    domain: Annotated[str, typer.Option(help="Domain of the user.")],
    user: Annotated[str, typer.Option(help="User name.")],
) -> None:
    """Allow a disabled user again (their unexpired tokens work again)."""
    _set_user_enabled(domain, user, True)


def _set_project_enabled(domain: str, name: str, enabled: bool) -> None:
    async def work(session: AsyncSession) -> dict[str, object]:
        admin = IdentityAdmin(session)
        found = await admin.project(domain, name)
        await admin.set_project_enabled(found, enabled)
        return {"project": found.name, "project_id": found.id, "enabled": enabled}

    typer.echo(json.dumps(run_in_transaction(work)))


@app.command("disable-project")
def disable_project(
    domain: Annotated[str, typer.Option(help="Domain of the project.")],
    name: Annotated[str, typer.Option(help="Project name or id.")],
) -> None:
    """Refuse all access to a project (tokens, access keys, logins) until enable-project."""
    _set_project_enabled(domain, name, False)


@app.command("enable-project")
def enable_project(
    domain: Annotated[str, typer.Option(help="Domain of the project.")],
    name: Annotated[str, typer.Option(help="Project name or id.")],
) -> None:
    """Allow a disabled project again."""
    _set_project_enabled(domain, name, True)


@app.command("set-password")
def set_password(
    domain: Annotated[str, typer.Option(help="Domain of the user.")],
    user: Annotated[str, typer.Option(help="User name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Change a user's password (read from stdin); the user's live tokens end."""
    if not password_stdin:
        typer.echo("openvias: error: give --password-stdin and the password on stdin", err=True)
        raise typer.Exit(code=2)
    password = sys.stdin.readline().rstrip("\r\n")

    async def work(session: AsyncSession) -> dict[str, object]:
        admin = IdentityAdmin(session)
        ended = await admin.set_password(await admin.user(domain, user), password)
        return {"user": user, "domain": domain, "tokens_ended": ended}

    typer.echo(json.dumps(run_in_transaction(work)))


@app.command("delete-access-key")
def delete_access_key(
    access: Annotated[str, typer.Option(help="The access key (AK) to delete.")],
) -> None:
    """Delete an AK/SK pair: it stops signing at once."""

    async def work(session: AsyncSession) -> dict[str, str]:
        await access_keys.delete_access_key(session, access)
        return {"deleted": access}

    typer.echo(json.dumps(run_in_transaction(work)))
