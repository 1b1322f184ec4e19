"""Queries over video sources (all SQL of the Video Center sources lives here).

The two hot reads (ShowVideoSourceDetail, ListVideoSources) select plain columns, in one
statement where they can, and hand back tuples: loading ORM objects costs more than the
queries themselves. ShowVideoSourceDetail's statements are module constants that run either
on the request session or on ``store.direct`` (see :func:`source_detail`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    String,
    asc,
    bindparam,
    column,
    desc,
    exists,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import Task, VideoGroup, VideoGroupMember, VideoSource
from openvias.store.repositories.video_groups import (
    BATCH_COUNTS_OF_SOURCE,
    MEMBER_COUNTS_OF_SOURCE,
    GroupCounts,
    fold_counts,
)
from openvias.store.statements import AnySelect, Fetch, Row

_SOURCE_COLUMNS = (
    VideoSource.id,
    VideoSource.name,
    VideoSource.access_type,
    VideoSource.type,
    VideoSource.type_config,
    VideoSource.stream_path,
    VideoSource.created_at,
    VideoSource.latitude,
    VideoSource.longitude,
    VideoSource.tags,
    VideoSource.status,
)
_GROUP_COLUMNS = (
    VideoGroup.id,
    VideoGroup.name,
    VideoGroup.description,
    VideoGroup.access_type,
    VideoGroup.created_at,
    VideoGroup.updated_at,
)
_N = len(_SOURCE_COLUMNS)

#: The source ``source_id`` of ``project_id`` and its groups: one row per group (or one
#: with NULL group columns), groups in creation order.
SOURCE_WITH_GROUPS = (
    select(*_SOURCE_COLUMNS, *_GROUP_COLUMNS)
    .outerjoin(VideoGroupMember, VideoGroupMember.source_id == VideoSource.id)
    .outerjoin(VideoGroup, VideoGroup.id == VideoGroupMember.group_id)
    .where(VideoSource.project_id == bindparam("project_id"))
    .where(VideoSource.id == bindparam("source_id"))
    .order_by(VideoGroup.created_at, VideoGroup.id)
)


class SourceRow(NamedTuple):
    id: str
    name: str
    access_type: str
    type: str
    type_config: str
    stream_path: str
    created_at: int
    latitude: str
    longitude: str
    tags: list[Any]
    status: str


class GroupRow(NamedTuple):
    id: str
    name: str
    description: str
    access_type: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class SourceDetail:
    source: SourceRow
    groups: list[GroupRow]
    counts: dict[str, GroupCounts]


@dataclass(frozen=True, slots=True)
class ListedSource:
    source: SourceRow
    num_tasks: int
    #: In some group: its packages are looked up (most sources of a page are in none).
    grouped: bool


def source_row(values: Sequence[Any]) -> SourceRow:
    sid, name, access, kind, config, path, created, latitude, longitude, tags, status = values[:_N]
    tags = list(tags or [])
    return SourceRow(
        sid, name, access, kind, config, path, created, latitude, longitude, tags, status
    )


async def source_detail(fetch: Fetch, project_id: str, source_id: str) -> SourceDetail | None:
    """ShowVideoSourceDetail's reads: one statement, two more for a source in groups."""
    rows = await fetch(SOURCE_WITH_GROUPS, {"project_id": project_id, "source_id": source_id})
    if not rows:
        return None
    groups = [GroupRow(*row[_N:]) for row in rows if row[_N] is not None]
    counts: dict[str, GroupCounts] = {}
    if groups:
        params = {"source_id": source_id}
        members = await fetch(MEMBER_COUNTS_OF_SOURCE, params)
        batches = await fetch(BATCH_COUNTS_OF_SOURCE, params)
        counts = fold_counts([g.id for g in groups], members, batches)
    return SourceDetail(source_row(rows[0]), groups, counts)


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

    async def fetch(self, stmt: AnySelect, params: Mapping[str, Any]) -> Sequence[Row]:
        """Run a prepared read (:func:`source_detail`'s) on this session: a ``Fetch``."""
        return (await self.session.execute(stmt, params)).all()

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
        if self._dialect() == "sqlite":
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
    ) -> tuple[list[ListedSource], int]:
        """One statement: the page's ids are sorted and cut first (only they get their
        columns read and their tasks counted), the total comes as an uncorrelated scalar
        subquery; a page past the end counts apart."""
        matching = self._filtered(project_id, f)
        order = desc if f.descending else asc
        tasks = self._task_count()
        keys: list[Any] = [order(tasks)] if f.sort == "num_task" else []
        keys += [order(VideoSource.created_at), order(VideoSource.id)]
        matching_ids = matching.with_only_columns(VideoSource.id)
        page = matching_ids.order_by(*keys).offset(offset)
        page = page if limit is None else page.limit(limit)
        ids = page.subquery()
        count = select(func.count()).select_from(matching_ids.subquery())
        total = count.scalar_subquery()
        grouped = exists().where(VideoGroupMember.source_id == VideoSource.id)
        stmt = (
            select(*_SOURCE_COLUMNS, tasks.label("num_tasks"), grouped.label("grouped"), total)
            .join(ids, ids.c.id == VideoSource.id)
            .order_by(*keys)
        )
        rows = (await self.session.execute(stmt)).all()
        if not rows:
            return [], int(await self.session.scalar(count) or 0)
        listed = [ListedSource(source_row(row), row[_N], bool(row[_N + 1])) for row in rows]
        return listed, int(rows[0][_N + 2])

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    @staticmethod
    def _task_count() -> ScalarSelect[int]:
        return (
            select(func.count())
            .where(Task.video_source_id == VideoSource.id)
            .correlate(VideoSource)
            .scalar_subquery()
        )

    async def delete(self, source: VideoSource) -> None:
        await self.session.delete(source)
        await self.session.flush()
