"""Video sources: create, update, delete, show and list, with their groups."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.domain.ids import new_resource_id
from openvias.domain.video_sources import (
    SourceStatus,
    TypeConfigError,
    parse_type_config,
    stream_path_for,
)
from openvias.errors import (
    DuplicateVideoSourceName,
    InUse,
    InvalidVideoSourceConfig,
    NotFound,
    QuotaExceeded,
    ReferencedObjectMissing,
)
from openvias.schemas.video_sources import (
    VideoSourceCreate,
    VideoSourceInfo,
    VideoSourceList,
    VideoSourceListItem,
    VideoSourceStatusInfo,
    VideoSourceUpdate,
)
from openvias.services.video_groups import flush_named, group_info
from openvias.store.models import VideoGroup, VideoSource
from openvias.store.repositories.video_groups import VideoGroupRepository
from openvias.store.repositories.video_sources import SourceFilter, VideoSourceRepository

SOURCE_QUOTA = 20_000


def _stream_path(source_type: str, type_config: str) -> str:
    try:
        return stream_path_for(source_type, parse_type_config(type_config))
    except TypeConfigError as exc:
        raise InvalidVideoSourceConfig(str(exc), param="type_config") from exc


def _name_conflict(name: str) -> DuplicateVideoSourceName:
    return DuplicateVideoSourceName(
        f"A video source named {name} exists.", param="video_source_name"
    )


def _status(value: str) -> VideoSourceStatusInfo:
    status = SourceStatus(value)
    return VideoSourceStatusInfo(
        level=status.level, name=status.display_name, status=status.wire_status
    )


class VideoSourceService:
    def __init__(self, session: AsyncSession, project_id: str) -> None:
        self.session = session
        self.project_id = project_id
        self.sources = VideoSourceRepository(session)
        self.groups = VideoGroupRepository(session)

    async def _require(self, source_id: str) -> VideoSource:
        source = await self.sources.get(self.project_id, source_id)
        if source is None:
            raise NotFound(f"Video source {source_id} does not exist.", param="video_source_id")
        return source

    async def create(self, body: VideoSourceCreate) -> str:
        stream_path = _stream_path(body.type, body.type_config)
        if await self.sources.count(self.project_id) >= SOURCE_QUOTA:
            raise QuotaExceeded(f"At most {SOURCE_QUOTA} video sources per project.")
        if await self.sources.name_taken(self.project_id, body.video_source_name):
            raise _name_conflict(body.video_source_name)
        missing = set(body.video_group_ids) - await self.groups.existing_ids(
            self.project_id, body.video_group_ids
        )
        if missing:
            raise ReferencedObjectMissing(
                f"Video group {sorted(missing)[0]} does not exist.", param="video_group_ids"
            )
        now = now_ms()
        source = VideoSource(
            id=new_resource_id(),
            project_id=self.project_id,
            name=body.video_source_name,
            access_type=body.access_type,
            type=body.type,
            type_config=body.type_config,
            stream_path=stream_path,
            latitude=body.latitude,
            longitude=body.longitude,
            tags=list(body.tag),
            status=SourceStatus.OFFLINE.value,
            created_at=now,
            updated_at=now,
        )
        self.session.add(source)
        await flush_named(self.session, _name_conflict(source.name))
        await self.groups.add_members(list(dict.fromkeys(body.video_group_ids)), [source.id])
        return source.id

    async def update(self, source_id: str, body: VideoSourceUpdate) -> VideoSourceInfo:
        source = await self._require(source_id)
        source.stream_path = _stream_path(source.type, body.type_config)
        source.type_config = body.type_config
        if body.video_source_name and body.video_source_name != source.name:
            if await self.sources.name_taken(self.project_id, body.video_source_name, source.id):
                raise _name_conflict(body.video_source_name)
            source.name = body.video_source_name
        if body.latitude is not None:
            source.latitude = body.latitude
        if body.longitude is not None:
            source.longitude = body.longitude
        if body.tag is not None:
            source.tags = list(body.tag)
        source.updated_at = now_ms()
        await flush_named(self.session, _name_conflict(source.name))
        return await self._info(source)

    async def delete(self, source_id: str) -> None:
        source = await self._require(source_id)
        try:
            await self.sources.delete(source)
        except IntegrityError as exc:  # tasks refer to their source (ON DELETE RESTRICT)
            raise InUse(
                f"Video source {source_id} is analysed by a task; delete the task first.",
                param="video_source_id",
            ) from exc

    async def show(self, source_id: str) -> VideoSourceInfo:
        return await self._info(await self._require(source_id))

    async def list_page(
        self, f: SourceFilter, *, limit: int | None, offset: int
    ) -> VideoSourceList:
        sources, total = await self.sources.page(self.project_id, f, limit=limit, offset=offset)
        packages = await self._packages([s.id for s in sources])
        tasks = await self.sources.task_counts([s.id for s in sources])
        return VideoSourceList(
            quota_number=SOURCE_QUOTA,
            total_number=total,
            video_source_number=total,
            video_source_list=[
                VideoSourceListItem(
                    **self._fields(s), video_packages=packages[s.id], num_tasks=tasks[s.id]
                )
                for s in sources
            ],
        )

    async def _info(self, source: VideoSource) -> VideoSourceInfo:
        packages = await self._packages([source.id])
        return VideoSourceInfo(**self._fields(source), video_packages=packages[source.id])

    async def _packages(self, source_ids: list[str]) -> dict[str, list[object]]:
        by_source = await self.groups.groups_of_sources(source_ids)
        unique: dict[str, VideoGroup] = {g.id: g for gs in by_source.values() for g in gs}
        counts = await self.groups.counts(list(unique))
        return {
            sid: [group_info(g, counts[g.id]) for g in groups] for sid, groups in by_source.items()
        }

    @staticmethod
    def _fields(source: VideoSource) -> dict[str, object]:
        return {
            "video_source_id": source.id,
            "video_source_name": source.name,
            "access_type": source.access_type,
            "type": source.type,
            "type_config": source.type_config,
            "stream_path": source.stream_path,
            "create_at": source.created_at,
            "latitude": source.latitude,
            "longitude": source.longitude,
            "tag": list(source.tags or []),
            "status": _status(source.status),
        }
