"""Queries over the Algorithm Center state: per-project deployments and resource orders."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import AlgorithmDeployment, ResourceOrder


class AlgorithmDeploymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str, alg_id: str) -> AlgorithmDeployment | None:
        return await self.session.get(AlgorithmDeployment, (project_id, alg_id))

    async def of_project(self, project_id: str) -> dict[str, AlgorithmDeployment]:
        rows = await self.session.scalars(
            select(AlgorithmDeployment).where(AlgorithmDeployment.project_id == project_id)
        )
        return {row.alg_id: row for row in rows}

    async def add(self, deployment: AlgorithmDeployment) -> None:
        self.session.add(deployment)
        await self.session.flush()


class ResourceOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, order_id: str) -> ResourceOrder | None:
        return await self.session.get(ResourceOrder, order_id)

    async def of_project(self, project_id: str) -> list[ResourceOrder]:
        rows = await self.session.scalars(
            select(ResourceOrder)
            .where(ResourceOrder.project_id == project_id)
            .order_by(ResourceOrder.created_at, ResourceOrder.id)
        )
        return list(rows)

    async def add(self, order: ResourceOrder) -> None:
        self.session.add(order)
        await self.session.flush()

    async def delete(self, order: ResourceOrder) -> None:
        await self.session.delete(order)
        await self.session.flush()
