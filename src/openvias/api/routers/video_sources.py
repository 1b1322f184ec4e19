"""Video Center: video sources (Create/Update/Delete/Show/ListVideoSources)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from openvias.api.deps import CurrentProject, Session, State
from openvias.api.handlers import PROJECT_ERRORS
from openvias.domain.snapshots import DEFAULT_MAX_SIDE, MAX_MAX_SIDE, MIN_MAX_SIDE
from openvias.domain.video_sources import SourceStatus
from openvias.schemas.common import RESOURCE_ID_PATTERN, ErrorBody
from openvias.schemas.video_sources import (
    SourceType,
    VideoSourceCreate,
    VideoSourceCreated,
    VideoSourceInfo,
    VideoSourceList,
    VideoSourceUpdate,
)
from openvias.services.video_sources import VideoSourceService
from openvias.store.repositories.video_sources import SourceFilter

router = APIRouter(prefix="/v2/{project_id}", tags=["Video Center"], responses=PROJECT_ERRORS)

SourceIdPath = Annotated[str, Path(pattern=RESOURCE_ID_PATTERN, max_length=36)]


@router.post("/source", response_model=VideoSourceCreated, operation_id="CreateVideoSource")
async def create_video_source(
    body: VideoSourceCreate, project: CurrentProject, session: Session
) -> VideoSourceCreated:
    source_id = await VideoSourceService(session, project.project_id).create(body)
    return VideoSourceCreated(video_source_id=source_id)


@router.put(
    "/source/{video_source_id}", response_model=VideoSourceInfo, operation_id="UpdateVideoSource"
)
async def update_video_source(
    video_source_id: SourceIdPath,
    body: VideoSourceUpdate,
    project: CurrentProject,
    session: Session,
) -> Response:
    service = VideoSourceService(session, project.project_id)
    return _json(await service.update(video_source_id, body))


@router.delete(
    "/source/{video_source_id}",
    response_model=str,
    operation_id="DeleteVideoSource",
    responses={200: {"content": {"application/json": {"example": "true"}}}},
)
async def delete_video_source(
    video_source_id: SourceIdPath, project: CurrentProject, session: Session
) -> str:
    await VideoSourceService(session, project.project_id).delete(video_source_id)
    return "true"


@router.get(
    "/source/sources/{video_source_id}",
    response_model=VideoSourceInfo,
    operation_id="ShowVideoSourceDetail",
)
async def show_video_source(
    video_source_id: SourceIdPath, project: CurrentProject, session: Session
) -> Response:
    # Mostly answered by api/fast_reads.py before routing; this is its fallback.
    return _json(await VideoSourceService(session, project.project_id).show(video_source_id))


_SNAPSHOT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture, scaled to fit max_side (aspect kept)",
        "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "X-Openvias-Source-Width": {
                "description": "The source's full width in pixels (target_roi coordinates)",
                "schema": {"type": "integer"},
            },
            "X-Openvias-Source-Height": {
                "description": "The source's full height in pixels",
                "schema": {"type": "integer"},
            },
            "X-Openvias-Snapshot-At": {
                "description": "Stream seconds of a file's picture (absent for live sources)",
                "schema": {"type": "number"},
            },
        },
    },
    422: {"model": ErrorBody, "description": "The source's video cannot be read or decoded"},
    429: {"model": ErrorBody, "description": "Too many snapshots at once (see Retry-After)"},
    502: {"model": ErrorBody, "description": "The source cannot be reached"},
    504: {"model": ErrorBody, "description": "No picture within the time limit"},
}


@router.get(
    "/source/sources/{video_source_id}/snapshot",
    operation_id="ShowVideoSourceSnapshot",
    response_class=Response,
    responses=_SNAPSHOT_RESPONSES,
    summary="A picture of a video source (openvias extension)",
)
async def show_video_source_snapshot(
    video_source_id: SourceIdPath,
    project: CurrentProject,
    session: Session,
    state: State,
    at: Annotated[float | None, Query(ge=0, le=1_000_000, allow_inf_nan=False)] = None,
    max_side: Annotated[int, Query(ge=MIN_MAX_SIDE, le=MAX_MAX_SIDE)] = DEFAULT_MAX_SIDE,
) -> Response:
    """A camera's current picture, or a file's picture at ``at`` seconds (default 2, or the
    start of a shorter file; past the end: its last picture), as JPEG."""
    snapshot = await state.snapshots.take(
        session, project.project_id, video_source_id, at=at, max_side=max_side
    )
    headers = {
        "X-Openvias-Source-Width": str(snapshot.width),
        "X-Openvias-Source-Height": str(snapshot.height),
        "Cache-Control": "no-store",
    }
    if snapshot.at is not None:
        headers["X-Openvias-Snapshot-At"] = f"{snapshot.at:g}"
    return Response(content=snapshot.jpeg, media_type="image/jpeg", headers=headers)


@router.get("/source/sources", response_model=VideoSourceList, operation_id="ListVideoSources")
async def list_video_sources(
    project: CurrentProject,
    session: Session,
    scope: Annotated[str | None, Query(max_length=255)] = None,
    scope_name: Annotated[Literal["", "source_name", "group_name"], Query()] = "source_name",
    status: Annotated[list[Literal["1", "2", "9"]] | None, Query()] = None,
    type: Annotated[list[SourceType] | None, Query()] = None,
    video_group_id: Annotated[
        list[Annotated[str, Query(pattern=r"^[0-9a-zA-Z-_]{1,36}$")]] | None, Query()
    ] = None,
    sort_name: Annotated[Literal["create_at", "num_task", "num_template"], Query()] = "create_at",
    order_by: Annotated[Literal["desc", "asc"], Query()] = "desc",
    is_paged: bool = False,
    page_size: Annotated[int, Query(ge=5, le=200)] = 10,
    page_num: Annotated[int, Query(ge=1, le=100000)] = 1,
    access_type: Annotated[list[Literal["", "cloud", "edge"]] | None, Query()] = None,
    platform_name: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    by_group = scope_name == "group_name"
    source_filter = SourceFilter(
        name_like=None if by_group else scope,
        group_name_like=scope if by_group else None,
        statuses=[SourceStatus.from_level(level).value for level in status or []],
        types=list(type or []),
        group_ids=list(video_group_id or []),
        access_types=[a for a in access_type or [] if a],
        tag_like=tag,
        sort=sort_name,
        descending=order_by == "desc",
    )
    limit, offset = (page_size, (page_num - 1) * page_size) if is_paged else (None, 0)
    service = VideoSourceService(session, project.project_id)
    return _json(await service.list_page(source_filter, limit=limit, offset=offset))


def _json(body: bytes) -> Response:
    """A prebuilt body (see services.video_sources), as FastAPI sends a response model."""
    return Response(content=body, media_type="application/json")
