"""Queries over video sources (all SQL of the Video Center sources lives here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, asc, desc, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import VideoGroup, VideoGroupMember, VideoSource


@dataclass(frozen=True, slots=True)
class SourceFilter:
    name_like: str | None = None
    group_name_like: str | None = None
    statuses: Sequence[str] = ()
    types: Sequence[str] = ()
    group_ids: Sequence[str] = ()
    access_types: Sequence[str] = ()
    tag_like: str | None = None
    descending: bool = True
    extra: dict[str, str] = field(default_factory=dict)


class VideoSourceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str, source_id: str) -> VideoSource | None:
        return await self.session.scalar(
            select(VideoSource).where(
                VideoSource.project_id == project_id, VideoSource.id == source_id
            )
        )

    async def existing_ids(self, project_id: str, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        rows = await self.session.scalars(
            select(VideoSource.id).where(
                VideoSource.project_id == project_id, VideoSource.id.in_(set(ids))
            )
        )
        return set(rows)

    async def name_taken(self, project_id: str, name: str, except_id: str | None = None) -> bool:
        stmt = select(VideoSource.id).where(
            VideoSource.project_id == project_id, VideoSource.name == name
        )
        if except_id is not None:
            stmt = stmt.where(VideoSource.id != except_id)
        return await self.session.scalar(stmt.limit(1)) is not None

    async def count(self, project_id: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(VideoSource.project_id == project_id)
            )
            or 0
        )

    def _filtered(self, project_id: str, f: SourceFilter) -> Select[VideoSource]:
        stmt = select(VideoSource).where(VideoSource.project_id == project_id)
        if f.name_like:
            stmt = stmt.where(VideoSource.name.contains(f.name_like, autoescape=True))
        if f.statuses:
            stmt = stmt.where(VideoSource.status.in_(list(f.statuses)))
        if f.types:
            stmt = stmt.where(VideoSource.type.in_(list(f.types)))
        if f.access_types:
            stmt = stmt.where(VideoSource.access_type.in_(list(f.access_types)))
        if f.tag_like:
            # Tags are a JSON list; match on its text form (dialect-neutral).
            from sqlalchemy import String, cast

            stmt = stmt.where(cast(VideoSource.tags, String).contains(f.tag_like, autoescape=True))
        if f.group_ids or f.group_name_like:
            members = (
                select(VideoGroupMember.source_id)
                .join(VideoGroup, VideoGroup.id == VideoGroupMember.group_id)
                .where(VideoGroup.project_id == project_id)
            )
            if f.group_ids:
                members = members.where(VideoGroupMember.group_id.in_(list(f.group_ids)))
            if f.group_name_like:
                members = members.where(
                    VideoGroup.name.contains(f.group_name_like, autoescape=True)
                )
            stmt = stmt.where(VideoSource.id.in_(members))
        return stmt

    async def page(
        self, project_id: str, f: SourceFilter, *, limit: int | None, offset: int
    ) -> tuple[list[VideoSource], int]:
        stmt = self._filtered(project_id, f)
        total = int(
            await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        )
        order = desc if f.descending else asc
        stmt = stmt.order_by(order(VideoSource.created_at), order(VideoSource.id)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(await self.session.scalars(stmt)), total

    async def delete(self, source: VideoSource) -> None:
        await self.session.delete(source)
        await self.session.flush()
