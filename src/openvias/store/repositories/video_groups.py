"""Queries over video groups, their members and their aggregate counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, asc, bindparam, delete, desc, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import BatchTaskGroup, VideoGroup, VideoGroupMember, VideoSource


@dataclass
class GroupCounts:
    num_video_source: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    types: list[str] = field(default_factory=list)
    #: Batch tasks configured over the group.
    num_batch_task: int = 0


_MEMBER_KEYS = (VideoGroupMember.group_id, VideoSource.status, VideoSource.type)
_MEMBER_COUNTS = select(*_MEMBER_KEYS, func.count()).join(
    VideoSource, VideoSource.id == VideoGroupMember.source_id
)
_BATCH_COUNTS = select(BatchTaskGroup.group_id, func.count())
_OF_SOURCE = select(VideoGroupMember.group_id).where(
    VideoGroupMember.source_id == bindparam("source_id")
)
#: Counts of the groups that the source ``source_id`` belongs to (ShowVideoSourceDetail).
MEMBER_COUNTS_OF_SOURCE = _MEMBER_COUNTS.where(VideoGroupMember.group_id.in_(_OF_SOURCE)).group_by(
    *_MEMBER_KEYS
)
BATCH_COUNTS_OF_SOURCE = _BATCH_COUNTS.where(BatchTaskGroup.group_id.in_(_OF_SOURCE)).group_by(
    BatchTaskGroup.group_id
)


def fold_counts(
    group_ids: Iterable[str],
    members: Iterable[Sequence[Any]],
    batches: Iterable[Sequence[Any]],
) -> dict[str, GroupCounts]:
    """``GroupCounts`` of each group from rows of (group, status, type, n) and (group, n)."""
    result = {gid: GroupCounts() for gid in group_ids}
    for group_id, status, source_type, n in members:
        counts = result.setdefault(group_id, GroupCounts())
        counts.num_video_source += n
        counts.by_status[status] = counts.by_status.get(status, 0) + n
        if source_type not in counts.types:
            counts.types.append(source_type)
    for counts in result.values():
        counts.types.sort()  # rows come in no particular order
    for group_id, n in batches:
        result.setdefault(group_id, GroupCounts()).num_batch_task = n
    return result


@dataclass(frozen=True, slots=True)
class GroupFilter:
    name_like: str | None = None
    status: str | None = None
    access_types: Sequence[str] = ()
    types: Sequence[str] = ()
    #: Keep only groups that some batch task is configured over.
    has_task: bool = False
    sort: str = "create_at"
    descending: bool = True


class VideoGroupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str, group_id: str) -> VideoGroup | None:
        return await self.session.scalar(
            select(VideoGroup).where(VideoGroup.project_id == project_id, VideoGroup.id == group_id)
        )

    async def existing_ids(self, project_id: str, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        rows = await self.session.scalars(
            select(VideoGroup.id).where(
                VideoGroup.project_id == project_id, VideoGroup.id.in_(set(ids))
            )
        )
        return set(rows)

    async def name_taken(self, project_id: str, name: str, except_id: str | None = None) -> bool:
        stmt = select(VideoGroup.id).where(
            VideoGroup.project_id == project_id, VideoGroup.name == name
        )
        if except_id is not None:
            stmt = stmt.where(VideoGroup.id != except_id)
        return await self.session.scalar(stmt.limit(1)) is not None

    async def count(self, project_id: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(VideoGroup.project_id == project_id)
            )
            or 0
        )

    async def add_members(self, group_ids: Sequence[str], source_ids: Sequence[str]) -> None:
        rows = [
            {"group_id": g, "source_id": s} for g in group_ids for s in dict.fromkeys(source_ids)
        ]
        if rows:
            await self.session.execute(insert(VideoGroupMember), rows)

    async def replace_members(self, group_id: str, source_ids: Sequence[str]) -> None:
        await self.session.execute(
            delete(VideoGroupMember).where(VideoGroupMember.group_id == group_id)
        )
        await self.add_members([group_id], source_ids)

    async def memberships(self, group_ids: Iterable[str]) -> list[tuple[str, str]]:
        """(group, source) of every member of the groups, sources in creation order."""
        rows = await self.session.execute(
            select(VideoGroupMember.group_id, VideoGroupMember.source_id)
            .join(VideoSource, VideoSource.id == VideoGroupMember.source_id)
            .where(VideoGroupMember.group_id.in_(group_ids))
            .order_by(VideoSource.created_at)
        )
        return [(group_id, source_id) for group_id, source_id in rows]

    async def groups_of_sources(self, source_ids: Sequence[str]) -> dict[str, list[VideoGroup]]:
        result: dict[str, list[VideoGroup]] = {sid: [] for sid in source_ids}
        if not source_ids:
            return result
        rows = await self.session.execute(
            select(VideoGroupMember.source_id, VideoGroup)
            .join(VideoGroup, VideoGroup.id == VideoGroupMember.group_id)
            .where(VideoGroupMember.source_id.in_(list(source_ids)))
            .order_by(VideoGroup.created_at, VideoGroup.id)
        )
        for source_id, group in rows:
            result[source_id].append(group)
        return result

    async def counts(self, group_ids: Sequence[str]) -> dict[str, GroupCounts]:
        if not group_ids:
            return {}
        ids = list(group_ids)
        members = await self.session.execute(
            _MEMBER_COUNTS.where(VideoGroupMember.group_id.in_(ids)).group_by(*_MEMBER_KEYS)
        )
        batches = await self.session.execute(
            _BATCH_COUNTS.where(BatchTaskGroup.group_id.in_(ids)).group_by(BatchTaskGroup.group_id)
        )
        return fold_counts(group_ids, members.tuples(), batches.tuples())

    def _filtered(self, project_id: str, f: GroupFilter) -> Select[VideoGroup]:
        stmt = select(VideoGroup).where(VideoGroup.project_id == project_id)
        if f.name_like:
            # Ignores case on every backend (SQLite's LIKE does, PostgreSQL's not).
            stmt = stmt.where(VideoGroup.name.icontains(f.name_like, autoescape=True))
        if f.access_types:
            stmt = stmt.where(VideoGroup.access_type.in_(list(f.access_types)))
        if f.has_task:
            stmt = stmt.where(VideoGroup.id.in_(select(BatchTaskGroup.group_id)))
        if f.status or f.types:
            members = select(VideoGroupMember.group_id).join(
                VideoSource, VideoSource.id == VideoGroupMember.source_id
            )
            if f.status:
                members = members.where(VideoSource.status == f.status)
            if f.types:
                members = members.where(VideoSource.type.in_(list(f.types)))
            stmt = stmt.where(VideoGroup.id.in_(members))
        return stmt

    async def page(
        self, project_id: str, f: GroupFilter, *, limit: int | None, offset: int
    ) -> tuple[list[VideoGroup], int]:
        stmt = self._filtered(project_id, f)
        total = int(
            await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        )
        order = desc if f.descending else asc
        if f.sort in ("num_video_source", "num_task"):
            # num_task: the batch tasks over the group (what num_batch_task shows).
            link = VideoGroupMember if f.sort == "num_video_source" else BatchTaskGroup
            size = (
                select(func.count())
                .where(link.group_id == VideoGroup.id)
                .correlate(VideoGroup)
                .scalar_subquery()
            )
            stmt = stmt.order_by(order(size))
        elif f.sort == "modify_at":
            stmt = stmt.order_by(order(VideoGroup.updated_at))
        stmt = stmt.order_by(order(VideoGroup.created_at), order(VideoGroup.id)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(await self.session.scalars(stmt)), total

    async def delete(self, group: VideoGroup) -> None:
        await self.session.delete(group)
        await self.session.flush()
