"""``openvias admin`` resource orders: what lets a project run commercial algorithms."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.cli.admin import run_in_transaction
from openvias.services.resource_orders import ResourceOrderService, order_view

app = typer.Typer(help="Manage resource orders of commercial algorithms.", no_args_is_help=True)


def _epoch_ms(text: str) -> int:
    """An ISO 8601 time as epoch ms; a time without offset is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        typer.echo(f"openvias: error: --expires-at is not an ISO 8601 time: {text}", err=True)
        raise typer.Exit(code=2) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _view(order: Any) -> dict[str, Any]:
    view = order_view(order)
    if view["expires_at"] is not None:
        expires = datetime.fromtimestamp(view["expires_at"] / 1000, UTC)
        view["expires_at"] = expires.isoformat().replace("+00:00", "Z")
    view["created_at"] = (
        datetime.fromtimestamp(view["created_at"] / 1000, UTC).isoformat().replace("+00:00", "Z")
    )
    return view


@app.command("create-order")
def create_order(
    project: Annotated[str, typer.Option(help="Project name or id.")],
    service: Annotated[str, typer.Option(help="Algorithm service, e.g. c-flowcount-cloud.")],
    max_tasks: Annotated[int, typer.Option(help="Tasks that may run at once.")],
    expires_at: Annotated[
        str | None, typer.Option(help="Expiry, ISO 8601 (UTC when no offset).")
    ] = None,
) -> None:
    """Create a resource order and print it as JSON (its `id` is the resource_order_id)."""
    expiry = _epoch_ms(expires_at) if expires_at is not None else None

    async def work(session: AsyncSession) -> dict[str, Any]:
        created = await ResourceOrderService(session).create(project, service, max_tasks, expiry)
        return _view(created)

    typer.echo(json.dumps(run_in_transaction(work)))


@app.command("list-orders")
def list_orders(project: Annotated[str, typer.Option(help="Project name or id.")]) -> None:
    """Print a project's resource orders as JSON."""

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        return [_view(order) for order in await ResourceOrderService(session).list(project)]

    typer.echo(json.dumps({"orders": run_in_transaction(work)}))


@app.command("delete-order")
def delete_order(order_id: Annotated[str, typer.Option("--id", help="Order id.")]) -> None:
    """Delete a resource order; tasks that use it can no longer be created or started."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return _view(await ResourceOrderService(session).delete(order_id))

    typer.echo(json.dumps({"deleted": run_in_transaction(work)}))
