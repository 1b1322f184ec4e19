"""Video Center: video groups (Create/Update/Delete/Show/ListVideoGroups)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from openvias.api.deps import CurrentProject, Session
from openvias.api.handlers import PROJECT_ERRORS
from openvias.domain.video_sources import SourceStatus
from openvias.schemas.common import RESOURCE_ID_PATTERN
from openvias.schemas.video_groups import (
    VideoGroupCreate,
    VideoGroupCreated,
    VideoGroupInfo,
    VideoGroupList,
    VideoGroupUpdate,
)
from openvias.schemas.video_sources import SourceType
from openvias.services.video_groups import VideoGroupService
from openvias.store.repositories.video_groups import GroupFilter

router = APIRouter(prefix="/v2/{project_id}", tags=["Video Center"], responses=PROJECT_ERRORS)

GroupIdPath = Annotated[str, Path(pattern=RESOURCE_ID_PATTERN, max_length=36)]


@router.post("/video-group", response_model=VideoGroupCreated, operation_id="CreateVideoGroup")
async def create_video_group(
    body: VideoGroupCreate, project: CurrentProject, session: Session
) -> VideoGroupCreated:
    group_id = await VideoGroupService(session, project.project_id).create(body)
    return VideoGroupCreated(video_group_id=group_id)


@router.put("/video-group/{video_group_id}", response_model=str, operation_id="UpdateVideoGroup")
async def update_video_group(
    video_group_id: GroupIdPath, body: VideoGroupUpdate, project: CurrentProject, session: Session
) -> str:
    await VideoGroupService(session, project.project_id).update(video_group_id, body)
    return "true"


@router.delete("/video-group/{video_group_id}", response_model=str, operation_id="DeleteVideoGroup")
async def delete_video_group(
    video_group_id: GroupIdPath, project: CurrentProject, session: Session
) -> str:
    await VideoGroupService(session, project.project_id).delete(video_group_id)
    return "true"


@router.get("/video-group/groups", response_model=VideoGroupList, operation_id="ListVideoGroups")
async def list_video_groups(
    project: CurrentProject,
    session: Session,
    sort_name: Annotated[
        Literal["create_at", "modify_at", "num_video_source", "num_task"], Query()
    ] = "create_at",
    order_by: Annotated[Literal["desc", "asc"], Query()] = "desc",
    is_paged: bool = False,
    page_size: Annotated[int, Query(ge=5, le=200)] = 10,
    page_num: Annotated[int, Query(ge=1, le=100000)] = 1,
    name: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[Literal["", "1", "2", "9"] | None, Query()] = None,
    access_type: Annotated[list[Literal["", "cloud", "edge"]] | None, Query()] = None,
    has_task: bool = False,
    type: Annotated[list[Literal["", SourceType]] | None, Query()] = None,
) -> VideoGroupList:
    group_filter = GroupFilter(
        name_like=name,
        status=SourceStatus.from_level(status).value if status else None,
        access_types=[a for a in access_type or [] if a],
        types=[t for t in type or [] if t],
        has_task=has_task,
        sort=sort_name,
        descending=order_by == "desc",
    )
    limit, offset = (page_size, (page_num - 1) * page_size) if is_paged else (None, 0)
    return await VideoGroupService(session, project.project_id).list_page(
        group_filter, limit=limit, offset=offset
    )


@router.get(
    "/video-group/{video_group_id}",
    response_model=VideoGroupInfo,
    operation_id="ShowVideoGroupDetail",
)
async def show_video_group(
    video_group_id: GroupIdPath, project: CurrentProject, session: Session
) -> VideoGroupInfo:
    return await VideoGroupService(session, project.project_id).show(video_group_id)
