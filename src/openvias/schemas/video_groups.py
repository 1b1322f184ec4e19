"""Video groups: Create/Update/Show/ListVideoGroups."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from openvias.schemas.common import CJK, RESOURCE_ID_PATTERN, WireModel

GROUP_NAME_PATTERN = f"^[{CJK}\\-_a-zA-Z0-9]{{1,20}}$"
SourceId = Annotated[str, StringConstraints(pattern=RESOURCE_ID_PATTERN)]


#: Request bodies of the Video Center (see WireModel for the regex engine).
VideoCenterRequest = WireModel


class VideoGroupCreate(VideoCenterRequest):
    access_type: Literal["cloud", "edge"]
    video_group_name: str = Field(max_length=20, pattern=GROUP_NAME_PATTERN)
    description: str = Field("", max_length=100)
    video_source_ids: list[SourceId] | None = Field(None, min_length=1)


class VideoGroupUpdate(VideoCenterRequest):
    """Replaces the member list; an absent name or description stays as it is."""

    video_source_ids: list[SourceId] = Field(min_length=1, max_length=50)
    video_group_name: str | None = Field(
        None, min_length=1, max_length=20, pattern=GROUP_NAME_PATTERN
    )
    description: str | None = Field(None, max_length=100)


class VideoGroupCreated(WireModel):
    video_group_id: str


class GroupStatus(WireModel):
    num_online: int = 0
    num_offline: int = 0
    num_exception: int = 0


class VideoGroupInfo(WireModel):
    video_group_id: str
    video_group_name: str
    description: str
    access_type: str
    create_at: int
    modify_at: int
    num_video_source: int
    num_batch_task: int
    group_status: GroupStatus


class VideoGroupListItem(VideoGroupInfo):
    type: str = Field("", description="Comma-joined types of the sources in the group.")


class VideoGroupList(WireModel):
    quota_number: int
    total_number: int
    video_group_number: int
    video_group_list: list[VideoGroupListItem]
