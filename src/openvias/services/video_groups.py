"""Video groups: create, update, delete, show, list with member counts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.domain.ids import new_resource_id
from openvias.domain.video_sources import SourceStatus
from openvias.errors import Conflict, InUse, NotFound, QuotaExceeded, ReferencedObjectMissing
from openvias.schemas.video_groups import (
    GroupStatus,
    VideoGroupCreate,
    VideoGroupInfo,
    VideoGroupList,
    VideoGroupListItem,
    VideoGroupUpdate,
)
from openvias.services.rendering import shown
from openvias.store.models import VideoGroup
from openvias.store.repositories.video_groups import GroupCounts, GroupFilter, VideoGroupRepository
from openvias.store.repositories.video_sources import VideoSourceRepository
from openvias.store.repositories.write_locks import lock_project

GROUP_QUOTA = 1_000


async def flush_named(session: AsyncSession, conflict: Conflict) -> None:
    """Flush a pending insert or rename of one named row, raising ``conflict`` when a
    concurrent request took the name between our check and the write (the unique
    constraint on (project_id, name) is the only one such a flush can break)."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if "unique" in str(exc.orig).lower():
            raise conflict from exc
        raise


def group_info(group: VideoGroup, counts: GroupCounts) -> VideoGroupInfo:
    return VideoGroupInfo(
        video_group_id=group.id,
        video_group_name=group.name,
        description=shown(group.description, what=f"video group {group.id}"),
        access_type=group.access_type,
        create_at=group.created_at,
        modify_at=group.updated_at,
        num_video_source=counts.num_video_source,
        num_batch_task=counts.num_batch_task,
        group_status=GroupStatus(
            num_online=counts.by_status.get(SourceStatus.ONLINE, 0),
            num_offline=counts.by_status.get(SourceStatus.OFFLINE, 0),
            num_exception=counts.by_status.get(SourceStatus.ABNORMAL, 0),
        ),
    )


class VideoGroupService:
    def __init__(self, session: AsyncSession, project_id: str) -> None:
        self.project_id = project_id
        self.groups = VideoGroupRepository(session)
        self.sources = VideoSourceRepository(session)
        self.session = session

    async def _require(self, group_id: str) -> VideoGroup:
        group = await self.groups.get(self.project_id, group_id)
        if group is None:
            raise NotFound(f"Video group {group_id} does not exist.", param="video_group_id")
        return group

    async def _check_sources(self, source_ids: Sequence[str]) -> None:
        missing = set(source_ids) - await self.sources.existing_ids(self.project_id, source_ids)
        if missing:
            raise ReferencedObjectMissing(
                f"Video source {sorted(missing)[0]} does not exist.", param="video_source_ids"
            )

    @staticmethod
    def _name_conflict(name: str) -> Conflict:
        return Conflict(f"A video group named {name} exists.", param="video_group_name")

    async def create(self, body: VideoGroupCreate) -> str:
        await lock_project(self.session, self.project_id)  # counted and inserted alone
        if await self.groups.count(self.project_id) >= GROUP_QUOTA:
            raise QuotaExceeded(f"At most {GROUP_QUOTA} video groups per project.")
        if await self.groups.name_taken(self.project_id, body.video_group_name):
            raise self._name_conflict(body.video_group_name)
        source_ids = body.video_source_ids or []
        await self._check_sources(source_ids)
        now = now_ms()
        group = VideoGroup(
            id=new_resource_id(),
            project_id=self.project_id,
            name=body.video_group_name,
            description=body.description,
            access_type=body.access_type,
            created_at=now,
            updated_at=now,
        )
        self.session.add(group)
        await flush_named(self.session, self._name_conflict(group.name))
        await self.groups.add_members([group.id], source_ids)
        return group.id

    async def update(self, group_id: str, body: VideoGroupUpdate) -> None:
        group = await self._require(group_id)
        if body.video_group_name is not None and body.video_group_name != group.name:
            if await self.groups.name_taken(self.project_id, body.video_group_name, group.id):
                raise self._name_conflict(body.video_group_name)
            group.name = body.video_group_name
        if body.description is not None:
            group.description = body.description
        await self._check_sources(body.video_source_ids)
        await self.groups.replace_members(group.id, body.video_source_ids)
        group.updated_at = now_ms()
        await flush_named(self.session, self._name_conflict(group.name))

    async def delete(self, group_id: str) -> None:
        group = await self._require(group_id)
        try:
            await self.groups.delete(group)
        except IntegrityError as exc:  # batch tasks refer to their groups (ON DELETE RESTRICT)
            raise InUse(
                f"Video group {group_id} is used by a batch task; delete the batch task first.",
                param="video_group_id",
            ) from exc

    async def show(self, group_id: str) -> VideoGroupInfo:
        group = await self._require(group_id)
        counts = await self.groups.counts([group.id])
        return group_info(group, counts[group.id])

    async def list_page(self, f: GroupFilter, *, limit: int | None, offset: int) -> VideoGroupList:
        groups, total = await self.groups.page(self.project_id, f, limit=limit, offset=offset)
        counts = await self.groups.counts([g.id for g in groups])
        items = [
            VideoGroupListItem(
                **group_info(g, counts[g.id]).model_dump(), type=",".join(counts[g.id].types)
            )
            for g in groups
        ]
        return VideoGroupList(
            quota_number=GROUP_QUOTA,
            total_number=total,
            video_group_number=total,
            video_group_list=items,
        )
