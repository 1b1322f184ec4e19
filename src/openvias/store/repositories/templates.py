"""Queries over task templates."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import TaskTemplate


class TemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str, template_id: str) -> TaskTemplate | None:
        return await self.session.scalar(
            select(TaskTemplate).where(
                TaskTemplate.project_id == project_id, TaskTemplate.id == template_id
            )
        )

    async def page(
        self, project_id: str, *, limit: int, offset: int
    ) -> tuple[list[TaskTemplate], int]:
        """A page of the project's templates, newest first, and how many it has."""
        base = select(TaskTemplate).where(TaskTemplate.project_id == project_id)
        total = int(
            await self.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        )
        rows = await self.session.scalars(
            base.order_by(TaskTemplate.created_at.desc(), TaskTemplate.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total

    async def delete(self, template: TaskTemplate) -> None:
        await self.session.delete(template)
        await self.session.flush()
