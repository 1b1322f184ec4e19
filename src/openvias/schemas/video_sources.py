"""Video sources: CreateVideoSource, UpdateVideoSource, Show/ListVideoSources."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from openvias.schemas.common import CJK, RESOURCE_ID_PATTERN, WireModel
from openvias.schemas.video_groups import VideoCenterRequest, VideoGroupInfo

SourceType = Literal[
    "obs", "vcn", "url", "restful", "camera", "VIDEO_PLATFORM", "VIDEO_IMAGE_DB", "RTSP_STREAM"
]
AccessType = Literal["cloud", "edge"]

_NAME_CHARS = f"{CJK}a-zA-Z0-9()（）._\\-"
SOURCE_NAME_PATTERN = (
    f"^([{_NAME_CHARS}]|([{_NAME_CHARS}][{_NAME_CHARS} ]{{0,98}}[{_NAME_CHARS}]))$"
)
# The definitions' patterns with ``\d`` spelled ``[0-9]``: ``\d`` is Unicode-aware in both
# regex engines, unlike in ECMA-262, and would take "٣٠" for a latitude.
LATITUDE_PATTERN = r"^$|^[+-]?(([0-8]?[0-9](\.[0-9]{1,5})?)|(90(\.0{1,5})?))$"
LONGITUDE_PATTERN = r"^$|^-?((([0-9][0-9]?|1[0-7][0-9])(\.[0-9]{1,5})?)|180(\.0{1,5})?)$"

Tag = Annotated[str, StringConstraints(pattern=f"^[{CJK}a-zA-Z0-9,_-]{{1,10}}$")]
GroupId = Annotated[str, StringConstraints(pattern=RESOURCE_ID_PATTERN)]


class VideoSourceCreate(VideoCenterRequest):
    access_type: AccessType
    type: SourceType
    type_config: str = Field(max_length=1024)
    video_source_name: str = Field(min_length=1, max_length=100, pattern=SOURCE_NAME_PATTERN)
    latitude: str = Field("", pattern=LATITUDE_PATTERN)
    longitude: str = Field("", pattern=LONGITUDE_PATTERN)
    tag: list[Tag] = Field(default_factory=list, max_length=4)
    video_group_ids: list[GroupId] = Field(default_factory=list)


class VideoSourceUpdate(VideoCenterRequest):
    """PUT semantics of the definitions: type_config and name are required; an empty
    name keeps the stored one; absent optional fields stay as they are."""

    type_config: str = Field(max_length=1024)
    video_source_name: str = Field(max_length=100, pattern="^$|" + SOURCE_NAME_PATTERN)
    latitude: str | None = Field(None, pattern=LATITUDE_PATTERN)
    longitude: str | None = Field(None, pattern=LONGITUDE_PATTERN)
    tag: list[Tag] | None = Field(None, max_length=4)


class VideoSourceCreated(WireModel):
    video_source_id: str


class VideoSourceStatusInfo(WireModel):
    level: str
    name: str
    status: str


class VideoSourceInfo(WireModel):
    """ShowVideoSourceDetail / UpdateVideoSource response (VideoSourceInfoDto)."""

    video_source_id: str
    video_source_name: str
    access_type: str
    type: str
    type_config: str
    stream_path: str
    create_at: int
    latitude: str
    longitude: str
    tag: list[str]
    status: VideoSourceStatusInfo
    scene_recommend: list[str] = Field(default_factory=list)
    service_config_templates: list[dict[str, object]] = Field(default_factory=list)
    video_packages: list[VideoGroupInfo] = Field(default_factory=list)
    video_source_quality: list[str] = Field(default_factory=list)


class VideoSourceListItem(VideoSourceInfo):
    num_tasks: int = 0
    num_service_config_templates: int = 0


class VideoSourceList(WireModel):
    quota_number: int
    total_number: int
    video_source_number: int
    video_source_list: list[VideoSourceListItem]
