"""Resource orders: the operator's packages that let a project run commercial algorithms."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.algorithm_catalogue import find_service
from openvias.domain.clock import now_ms
from openvias.domain.ids import new_hex_id
from openvias.errors import InvalidParameter, NotFound
from openvias.services.identity import IdentityService
from openvias.store.models import ResourceOrder
from openvias.store.repositories.algorithms import ResourceOrderRepository

MAX_TASKS_LIMIT = 100_000


def order_view(order: ResourceOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "project_id": order.project_id,
        "service_name": order.service_name,
        "max_tasks": order.max_tasks,
        "expires_at": order.expires_at,
        "created_at": order.created_at,
    }


class ResourceOrderService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.orders = ResourceOrderRepository(session)

    async def create(
        self, project: str, service_name: str, max_tasks: int, expires_at: int | None
    ) -> ResourceOrder:
        """An order for ``service_name`` (its canonical name) in ``project`` (name or id)."""
        spec = find_service(service_name)
        if spec is None:
            raise InvalidParameter(f"Unknown algorithm service {service_name}.")
        if not 1 <= max_tasks <= MAX_TASKS_LIMIT:
            raise InvalidParameter(f"max_tasks must be between 1 and {MAX_TASKS_LIMIT}.")
        now = now_ms()
        if expires_at is not None and expires_at <= now:
            raise InvalidParameter("The expiry time is in the past.")
        found = await IdentityService(self.session).find_project(project)
        order = ResourceOrder(
            id=new_hex_id(),
            project_id=found.id,
            service_name=spec.service_name,
            max_tasks=max_tasks,
            expires_at=expires_at,
            created_at=now,
        )
        await self.orders.add(order)
        return order

    async def list(self, project: str) -> list[ResourceOrder]:
        found = await IdentityService(self.session).find_project(project)
        return await self.orders.of_project(found.id)

    async def delete(self, order_id: str) -> ResourceOrder:
        order = await self.orders.get(order_id)
        if order is None:
            raise NotFound(f"Resource order {order_id} does not exist.")
        await self.orders.delete(order)
        return order
