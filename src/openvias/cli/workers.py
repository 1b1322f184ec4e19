"""``openvias workers``: the engine workers registered in the database, with their slots,
heartbeats and the tasks each one runs (the operator's view of distributed mode)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from openvias.schemas.workers import WorkerInfo, WorkerList
from openvias.services.workers import list_workers
from openvias.settings import Settings


async def _read(settings: Settings) -> WorkerList:
    from openvias.store.db import create_engine, create_sessionmaker, transaction

    engine = create_engine(settings.resolved_database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await list_workers(session, int(settings.lease_ttl_seconds * 1000))
    finally:
        await engine.dispose()


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f}s"


def _state(worker: WorkerInfo) -> str:
    if not worker.live:
        return "dead"
    return "draining" if worker.draining else "live"


def render_table(listing: WorkerList) -> str:
    """One line per worker, then one indented line per task it runs."""
    if not listing.workers:
        return "no workers registered"
    header = ("WORKER", "POOL", "STATE", "USED", "FREE", "HEARTBEAT", "HOST", "PID")
    rows = [
        (
            w.id,
            w.pool,
            _state(w),
            str(w.slots_used),
            str(w.slots_free),
            _seconds(w.heartbeat_age_ms) + " ago",
            w.host,
            str(w.pid),
        )
        for w in listing.workers
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines: list[str] = []
    for row, worker in zip([header, *rows], [None, *listing.workers], strict=True):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        for task in worker.tasks if worker else []:
            lines.append(
                f"    task {task.task_id}  lease renewed {_seconds(task.lease_age_ms)} ago, "
                f"expires in {_seconds(task.lease_expires_in_ms)}"
            )
    return "\n".join(line.rstrip() for line in lines)


def workers(
    as_json: Annotated[bool, typer.Option("--json", help="Print the listing as JSON.")] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Data folder whose database to read (default: OPENVIAS_DATA_DIR)."),
    ] = None,
) -> None:
    """List the engine workers: pool, slots used/free, heartbeat age, the tasks each runs."""
    from openvias.cli.main import describe_invalid_settings, fail  # main imports us

    try:
        settings = Settings()
    except ValidationError as exc:
        raise fail(f"invalid settings: {describe_invalid_settings(exc)}") from exc
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    try:
        listing = asyncio.run(_read(settings))
    except (OSError, SQLAlchemyError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        typer.echo(f"openvias: error: the database cannot be used: {first_line}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(json.dumps(listing.model_dump()) if as_json else render_table(listing))
