"""The ``openvias`` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from openvias.cli import admin, evaluate, orders, workers
from openvias.errors import OpenViasError
from openvias.logs import configure_logging
from openvias.settings import Settings

if TYPE_CHECKING:
    from openvias.store.migrate import Migration

try:  # recent typer releases carry their own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import ClickException, UsageError  # type: ignore[assignment]

app = typer.Typer(
    name="openvias",
    help="Self-hosted video intelligent analysis, wire-compatible with Huawei Cloud VIAS v2.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(admin.app, name="admin")
# Resource orders are operator work too: `openvias admin create-order|list-orders|delete-order`.
admin.app.add_typer(orders.app)
app.command()(workers.workers)  # `openvias workers`: the distributed engine's workers
app.command()(evaluate.evaluate)  # `openvias evaluate`: scoring on a labelled data set


def fail(message: str) -> typer.Exit:
    typer.echo(f"openvias: error: {message}", err=True)
    return typer.Exit(code=2)


def describe_invalid_settings(error: ValidationError) -> str:
    """``OPENVIAS_X: what is wrong (got ...)`` for each bad variable, without pydantic's URL."""
    problems = []
    for detail in error.errors(include_url=False):
        name = "OPENVIAS_" + "__".join(str(part) for part in detail["loc"]).upper()
        secret = any(word in name for word in ("SECRET", "PASSWORD", "KEY"))
        given = "" if secret else f" (got {detail.get('input')!r})"
        problems.append(f"{name}: {detail['msg']}{given}")
    return "; ".join(problems)


def load_settings(data_dir: Path | None = None, *, configure_logs: bool = False) -> Settings:
    from openvias.services.data_folder import prepare_private_data_dir

    try:
        settings = Settings()
    except ValidationError as exc:
        raise fail(f"invalid settings: {describe_invalid_settings(exc)}") from exc
    if configure_logs:  # before the data folder is checked: that logs
        configure_logging(settings.log_format)
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    prepare_private_data_dir(settings.data_dir)
    return settings


async def _migrate(settings: Settings, *, check_secret_key: bool = False) -> Migration:
    """Migrations; with ``check_secret_key``, also the key of the access-key secrets (made
    on first start), so that a missing one stops ``serve`` with one line, not a traceback."""
    from openvias.services.access_keys import prepare_secret_box
    from openvias.store.db import create_engine, create_sessionmaker, transaction
    from openvias.store.migrate import upgrade_to_head

    engine = create_engine(settings.resolved_database_url)
    try:
        migration = await upgrade_to_head(engine)
        if check_secret_key:
            async with transaction(create_sessionmaker(engine)) as session:
                await prepare_secret_box(session, settings)
        return migration
    finally:
        await engine.dispose()


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    settings = load_settings()
    try:
        migration = asyncio.run(_migrate(settings))
    except Exception as exc:
        raise fail(f"migration failed: {exc}") from exc
    typer.echo(migration.describe())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to bind.")] = 8080,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder.")] = None,
) -> None:
    """Run the API and (embedded mode) the engine in one process tree."""
    import uvicorn

    from openvias.api.app import create_app
    from openvias.api.state import BackgroundFactory

    settings = load_settings(data_dir, configure_logs=True)
    try:
        asyncio.run(_migrate(settings, check_secret_key=True))
    except OpenViasError as exc:
        raise fail(exc.message) from exc
    except Exception as exc:
        raise fail(f"cannot prepare the database: {exc}") from exc
    from openvias.services.leadership import leader_only
    from openvias.services.scheduler import embedded_scheduler
    from openvias.services.token_purge import token_purger

    # One replica at a time applies schedules and purges tokens (docs/distributed.md).
    background: list[BackgroundFactory] = [leader_only(embedded_scheduler, token_purger)]
    if settings.engine == "local" and settings.engine_slots > 0:
        from openvias.engine.evaluation_jobs import embedded_evaluations
        from openvias.engine.local import embedded_engine

        background += [embedded_engine, embedded_evaluations]
    from openvias.sinks.worker import delivery_worker

    background.append(delivery_worker)  # every serve process delivers alarms
    app = create_app(settings, background)
    # log_config=None: uvicorn's loggers go through ours (one format, secrets masked).
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, log_config=None)


POOL_NAME = r"^(default|[a-z][a-z0-9-]{2,30}[a-z0-9])$"


@app.command()
def worker(
    pool: Annotated[
        str, typer.Option(help="The pool to join: default or an edge pool's name.")
    ] = "default",
    slots: Annotated[
        int | None,
        typer.Option(min=1, max=4096, help="Streams at once (default OPENVIAS_ENGINE_SLOTS)."),
    ] = None,
    node_id: Annotated[
        str | None,
        typer.Option(
            envvar="OPENVIAS_NODE_ID", help="Worker id (default: kept in the data folder)."
        ),
    ] = None,
    health_host: Annotated[
        str, typer.Option(help="Address of /healthz and /readyz.")
    ] = "127.0.0.1",
    health_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Serve /healthz and /readyz on this port.")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder.")] = None,
) -> None:
    """(distributed mode) Run the engine and the delivery worker of a pool, without the API."""
    import re

    from openvias.store.db import is_sqlite

    settings = load_settings(data_dir, configure_logs=True)
    if is_sqlite(settings.resolved_database_url):
        raise fail(
            "a worker needs PostgreSQL: set OPENVIAS_DATABASE_URL=postgresql+asyncpg://... "
            "(the same database as the API)"
        )
    if not re.fullmatch(POOL_NAME, pool):
        raise fail(f"--pool {pool!r}: default or 4-32 of a-z, 0-9 and '-', starting with a letter")
    if node_id is not None and not 1 <= len(node_id) <= 128:
        raise fail("--node-id: 1 to 128 characters")
    if slots is not None:
        settings = settings.model_copy(update={"engine_slots": slots})
    try:
        asyncio.run(_migrate(settings))
    except Exception as exc:
        raise fail(f"cannot prepare the database: {exc}") from exc
    from openvias.engine.worker import run_worker
    from openvias.services.node_names import stable_name

    node_id = node_id or stable_name(settings.data_dir, f"worker-id-{pool}", f"worker-{pool}")
    asyncio.run(
        run_worker(
            settings,
            pool=pool,
            node_id=node_id,
            health_host=health_host,
            health_port=health_port,
        )
    )


@app.command()
def analyze(
    source: Annotated[str, typer.Argument(metavar="FILE_OR_URL")],
    service: Annotated[str, typer.Option(help="Algorithm service.")] = "c-smoke-and-fire-cloud",
    config: Annotated[str | None, typer.Option(help="config.common as JSON.")] = None,
    roi: Annotated[str | None, typer.Option(help="target_roi as JSON.")] = None,
    rtsp_transport: Annotated[str, typer.Option(help="tcp or udp for rtsp:// sources.")] = "tcp",
) -> None:
    """Analyse one video locally (no server): one VIAS alarm JSON per line on stdout."""
    from openvias.cli.analyze import run_analysis

    common: dict[str, object] = {}
    for name, value in (("--config", config), ("--roi", roi)):
        if value is None:
            continue
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise fail(f"{name} is not valid JSON: {exc}") from exc
        if name == "--config":
            if not isinstance(parsed, dict):
                raise fail("--config must be a JSON object (config.common)")
            section = parsed.get("common", parsed)
            if not isinstance(section, dict):
                raise fail("--config: common must be a JSON object")
            common.update(section)
        else:
            common["target_roi"] = value
    if rtsp_transport not in ("tcp", "udp"):
        raise fail("--rtsp-transport must be tcp or udp")
    code = run_analysis(source, service, common, rtsp_transport)
    raise typer.Exit(code=code)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main() -> None:
    """Entry point: bad input ends with one ``openvias: error: ...`` line on stderr."""
    try:
        code = app(standalone_mode=False)
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `openvias` or `openvias admin`
            if exc.format_message().strip():  # rich help is already printed
                typer.echo(exc.format_message(), err=True)
            sys.exit(exc.exit_code)
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        typer.echo(f"openvias: error: {_one_line(exc.format_message())}{hint}", err=True)
        sys.exit(exc.exit_code)
    except ClickException as exc:
        typer.echo(f"openvias: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("openvias: error: aborted", err=True)
        sys.exit(1)
    except OpenViasError as exc:
        typer.echo(f"openvias: error: {exc.message}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
