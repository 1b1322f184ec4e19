"""Queries over video sources (all SQL of the Video Center sources lives here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    String,
    asc,
    column,
    desc,
    exists,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import Task, VideoGroup, VideoGroupMember, VideoSource


@dataclass(frozen=True, slots=True)
class SourceFilter:
    name_like: str | None = None
    group_name_like: str | None = None
    statuses: Sequence[str] = ()
    types: Sequence[str] = ()
    group_ids: Sequence[str] = ()
    access_types: Sequence[str] = ()
    tag_like: str | None = None
    #: ``create_at``, ``num_task`` (tasks on the source) or ``num_template`` (none yet).
    sort: str = "create_at"
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

    def _has_tag_containing(self, text: str) -> ColumnElement[bool]:
        """Some element of the JSON ``tags`` list contains ``text``, ignoring case.

        Matching the list's JSON text instead would cross element boundaries (``,`` and
        ``"`` would match every list of two tags) and miss CJK tags, stored \\u-escaped."""
        if self.session.get_bind().dialect.name == "sqlite":
            tags = func.json_each(VideoSource.tags).table_valued(column("value", String))
        else:
            tags = (
                func.json_array_elements_text(VideoSource.tags)
                .table_valued(column("value", String))
                .render_derived(name="tag")
            )
        return exists().select_from(tags).where(tags.c.value.icontains(text, autoescape=True))

    def _filtered(self, project_id: str, f: SourceFilter) -> Select[VideoSource]:
        # Fuzzy filters ignore case on every backend (SQLite's LIKE does, PostgreSQL's not).
        stmt = select(VideoSource).where(VideoSource.project_id == project_id)
        if f.name_like:
            stmt = stmt.where(VideoSource.name.icontains(f.name_like, autoescape=True))
        if f.statuses:
            stmt = stmt.where(VideoSource.status.in_(list(f.statuses)))
        if f.types:
            stmt = stmt.where(VideoSource.type.in_(list(f.types)))
        if f.access_types:
            stmt = stmt.where(VideoSource.access_type.in_(list(f.access_types)))
        if f.tag_like:
            stmt = stmt.where(self._has_tag_containing(f.tag_like))
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
                    VideoGroup.name.icontains(f.group_name_like, autoescape=True)
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
        if f.sort == "num_task":
            stmt = stmt.order_by(order(self._task_count()))
        stmt = stmt.order_by(order(VideoSource.created_at), order(VideoSource.id)).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(await self.session.scalars(stmt)), total

    @staticmethod
    def _task_count() -> ScalarSelect[int]:
        return (
            select(func.count())
            .where(Task.video_source_id == VideoSource.id)
            .correlate(VideoSource)
            .scalar_subquery()
        )

    async def task_counts(self, source_ids: Sequence[str]) -> dict[str, int]:
        """Tasks (single or of a batch, in any state) that analyse each source."""
        result = dict.fromkeys(source_ids, 0)
        if source_ids:
            rows = await self.session.execute(
                select(Task.video_source_id, func.count())
                .where(Task.video_source_id.in_(list(source_ids)))
                .group_by(Task.video_source_id)
            )
            for source_id, n in rows:
                if source_id is not None:
                    result[source_id] = n
        return result

    async def delete(self, source: VideoSource) -> None:
        await self.session.delete(source)
        await self.session.flush()
