"""Task templates (``is_saved_as_template``): an openvias extension under /templates."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.ids import new_resource_id
from openvias.errors import InvalidParameter, NotFound
from openvias.schemas.batch_tasks import BatchTaskCreate
from openvias.schemas.templates import BatchTaskFromTemplate, TemplateInfo
from openvias.services.rendering import shown
from openvias.store.models import TaskTemplate
from openvias.store.repositories.templates import TemplateRepository


async def save_template(
    session: AsyncSession,
    project_id: str,
    *,
    name: str,
    service_name: str,
    service_version: str,
    body: dict[str, Any],
    now: int,
) -> str:
    template = TaskTemplate(
        id=new_resource_id(),
        project_id=project_id,
        name=name,
        service_name=service_name,
        service_version=service_version,
        body=body,
        created_at=now,
    )
    session.add(template)
    await session.flush()
    return template.id


class TemplateService:
    def __init__(self, session: AsyncSession, project_id: str) -> None:
        self.session = session
        self.project_id = project_id
        self.templates = TemplateRepository(session)

    async def get(self, template_id: str) -> TaskTemplate:
        template = await self.templates.get(self.project_id, template_id)
        if template is None:
            raise NotFound(f"Template {template_id} does not exist.", param="template_id")
        return template

    async def list_page(self, *, limit: int, offset: int) -> tuple[list[TaskTemplate], int]:
        return await self.templates.page(self.project_id, limit=limit, offset=offset)

    async def delete(self, template_id: str) -> None:
        await self.templates.delete(await self.get(template_id))


def template_info(template: TaskTemplate) -> TemplateInfo:
    body = template.body
    fields = {
        "id": template.id,
        "name": template.name,
        "service_name": template.service_name,
        "service_version": template.service_version,
        "created_at": template.created_at,
        "description": str(body.get("description") or ""),
        "config": dict(body.get("config") or {"common": {}}),
        "output": dict(body.get("output") or {}),
        "schedule": body.get("schedule"),
        "resource_order_id": body.get("resource_order_id"),
    }
    return TemplateInfo.model_validate(shown(fields, what=f"template {template.id}"))


def batch_body_from_template(
    template: TaskTemplate, request: BatchTaskFromTemplate
) -> BatchTaskCreate:
    """The CreateBatchTask body a template and a request add up to; validated as one."""
    body = template.body
    merged: dict[str, Any] = {
        "name": request.name,
        "batch_input": request.batch_input.model_dump(exclude_none=True),
        "service_name": template.service_name,
        "service_version": template.service_version,
        "description": request.description
        if request.description is not None
        else body.get("description"),
        "config": request.config.model_dump() if request.config else body.get("config"),
        "output": request.output.stored() if request.output else body.get("output"),
        "schedule": request.schedule.stored() if request.schedule else body.get("schedule"),
        "resource_order_id": body.get("resource_order_id"),
    }
    try:
        return BatchTaskCreate.model_validate({k: v for k, v in merged.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
        raise InvalidParameter(
            f"Invalid parameter: {field}.", detail=first["msg"], param=field
        ) from exc
