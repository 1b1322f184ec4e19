"""Video sources: create, update, delete, show and list, with their groups.

Show, update and list answer prebuilt JSON: plain dicts in the wire models' field order
serialised by pydantic-core (the serialiser of the models themselves, so the bytes are the
same), which costs a fraction of building and validating the models. The models in
``schemas.video_sources`` still document the bodies (the routes' ``response_model``)."""

from __future__ import annotations

from typing import Protocol

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
from openvias.schemas.video_sources import VideoSourceCreate, VideoSourceUpdate
from openvias.services.rendering import shown_json
from openvias.services.video_groups import flush_named
from openvias.store.models import VideoSource
from openvias.store.repositories.video_groups import GroupCounts, VideoGroupRepository
from openvias.store.repositories.video_sources import (
    SourceFilter,
    SourceRow,
    VideoSourceRepository,
    source_detail,
)
from openvias.store.repositories.write_locks import lock_project
from openvias.store.statements import Fetch

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


class _Group(Protocol):
    """A group's stored columns (an ORM ``VideoGroup`` or a ``GroupRow``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def access_type(self) -> str: ...
    @property
    def created_at(self) -> int: ...
    @property
    def updated_at(self) -> int: ...


_STATUS = {
    s.value: {"level": s.level, "name": s.display_name, "status": s.wire_status}
    for s in SourceStatus
}


def _package(group: _Group, counts: GroupCounts) -> dict[str, object]:
    """``VideoGroupInfo`` (as ``services.video_groups.group_info`` builds it)."""
    return {
        "video_group_id": group.id,
        "video_group_name": group.name,
        "description": group.description,
        "access_type": group.access_type,
        "create_at": group.created_at,
        "modify_at": group.updated_at,
        "num_video_source": counts.num_video_source,
        "num_batch_task": counts.num_batch_task,
        "group_status": {
            "num_online": counts.by_status.get(SourceStatus.ONLINE, 0),
            "num_offline": counts.by_status.get(SourceStatus.OFFLINE, 0),
            "num_exception": counts.by_status.get(SourceStatus.ABNORMAL, 0),
        },
    }


def _document(source: SourceRow, packages: list[dict[str, object]]) -> dict[str, object]:
    """``VideoSourceInfo``, field for field."""
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
        "tag": source.tags,
        # An unknown stored status fails in SourceStatus(), as the wire model did.
        "status": _STATUS.get(source.status) or _STATUS[SourceStatus(source.status)],
        "scene_recommend": [],
        "service_config_templates": [],
        "video_packages": packages,
        "video_source_quality": [],
    }


async def show_document(fetch: Fetch, project_id: str, source_id: str) -> bytes | None:
    """ShowVideoSourceDetail's body; None when the project has no such source. Both the
    route and the direct read path (``api/fast_reads.py``) answer with it."""
    detail = await source_detail(fetch, project_id, source_id)
    if detail is None:
        return None
    packages = [_package(g, detail.counts.get(g.id) or GroupCounts()) for g in detail.groups]
    return shown_json(_document(detail.source, packages), what=f"video source {source_id}")


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
        await lock_project(self.session, self.project_id)  # counted and inserted alone
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

    async def update(self, source_id: str, body: VideoSourceUpdate) -> bytes:
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
        return await self.show(source_id)

    async def delete(self, source_id: str) -> None:
        source = await self._require(source_id)
        try:
            await self.sources.delete(source)
        except IntegrityError as exc:  # tasks refer to their source (ON DELETE RESTRICT)
            raise InUse(
                f"Video source {source_id} is analysed by a task; delete the task first.",
                param="video_source_id",
            ) from exc

    async def show(self, source_id: str) -> bytes:
        body = await show_document(self.sources.fetch, self.project_id, source_id)
        if body is None:
            raise NotFound(f"Video source {source_id} does not exist.", param="video_source_id")
        return body

    async def list_page(self, f: SourceFilter, *, limit: int | None, offset: int) -> bytes:
        listed, total = await self.sources.page(self.project_id, f, limit=limit, offset=offset)
        grouped = [item.source.id for item in listed if item.grouped]
        packages = await self._packages(grouped) if grouped else {}
        items = []
        for item in listed:
            document = _document(item.source, packages.get(item.source.id, []))
            document["num_tasks"] = item.num_tasks
            document["num_service_config_templates"] = 0
            items.append(document)
        return shown_json(
            {
                "quota_number": SOURCE_QUOTA,
                "total_number": total,
                "video_source_number": total,
                "video_source_list": items,
            },
            what=f"a video source of project {self.project_id}",
        )

    async def _packages(self, source_ids: list[str]) -> dict[str, list[dict[str, object]]]:
        by_source = await self.groups.groups_of_sources(source_ids)
        unique = {g.id for groups in by_source.values() for g in groups}
        counts = await self.groups.counts(list(unique))
        return {
            sid: [_package(g, counts[g.id]) for g in groups] for sid, groups in by_source.items()
        }
