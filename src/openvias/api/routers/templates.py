"""Task templates (openvias extension): list, show, delete, create a batch task from one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.api.routers.tasks import caller
from openvias.schemas.batch_tasks import BatchTaskResult
from openvias.schemas.templates import BatchTaskFromTemplate, TemplateInfo, TemplateList
from openvias.services.batch_tasks import BatchTaskService
from openvias.services.templates import TemplateService, batch_body_from_template, template_info

router = APIRouter(
    prefix="/v2/{project_id}/templates", tags=["Templates (openvias)"], responses=PROJECT_ERRORS
)

TemplateIdPath = Annotated[str, Path(pattern=r"^[a-z0-9-_]{4,36}$")]


@router.get(
    "",
    response_model=TemplateList,
    response_model_exclude_none=True,
    operation_id="ListTemplates",
)
async def list_templates(
    project: CurrentProject,
    session: Session,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    page_num: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> TemplateList:
    rows, total = await TemplateService(session, project.project_id).list_page(
        limit=page_size, offset=(page_num - 1) * page_size
    )
    return TemplateList(count=total, templates=[template_info(t) for t in rows])


@router.get(
    "/{template_id}",
    response_model=TemplateInfo,
    response_model_exclude_none=True,
    operation_id="ShowTemplate",
)
async def show_template(
    template_id: TemplateIdPath, project: CurrentProject, session: Session
) -> TemplateInfo:
    return template_info(await TemplateService(session, project.project_id).get(template_id))


@router.delete("/{template_id}", response_model=str, operation_id="DeleteTemplate")
async def delete_template(
    template_id: TemplateIdPath, project: CurrentProject, session: Session
) -> str:
    await TemplateService(session, project.project_id).delete(template_id)
    return "true"


@router.post(
    "/{template_id}/batch-tasks",
    response_model=BatchTaskResult,
    operation_id="CreateBatchTaskFromTemplate",
)
async def create_batch_task_from_template(
    template_id: TemplateIdPath,
    body: BatchTaskFromTemplate,
    project: CurrentProject,
    session: Session,
) -> BatchTaskResult:
    template = await TemplateService(session, project.project_id).get(template_id)
    create = batch_body_from_template(template, body)
    return await BatchTaskService(session, caller(project)).create(create)
