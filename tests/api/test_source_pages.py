"""ListVideoSources pages in (create_at, id) order, runs of equal create_at across page
boundaries included (on SQLite the page is cut by create_at ranges: see
the index in that order, ``ix_video_sources_project_created_id``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from openvias.store.db import create_engine
from openvias.store.models import VideoSource
from tests.api.video_center import VideoCenter, unique, video_center
from tests.support import Server

#: Runs of ties on both sides of every boundary of pages of 5 (and of 6, 7).
CREATED = [7, 7, 7, 7, 7, 7, 5, 5, 9, 9, 9, 9, 9, 3, 3, 3, 8]


@pytest.fixture
def vc(server: Server) -> Iterator[VideoCenter]:
    with video_center(server) as center:
        yield center


@pytest.fixture
async def database(server: Server) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(server.env["OPENVIAS_DATABASE_URL"])
    yield engine
    await engine.dispose()


@pytest.mark.parametrize("order_by", ["desc", "asc"])
async def test_pages_follow_create_at_then_id(
    vc: VideoCenter, database: AsyncEngine, order_by: str
) -> None:
    prefix = unique("ties")
    ids = [vc.create_source(video_source_name=f"{prefix}-{i}") for i in range(len(CREATED))]
    async with database.begin() as connection:
        for source_id, created in zip(ids, CREATED, strict=True):
            await connection.execute(
                update(VideoSource).where(VideoSource.id == source_id).values(created_at=created)
            )
    expected = [i for _, i in sorted(zip(CREATED, ids, strict=True), reverse=order_by == "desc")]
    for size in (5, 6, 7):
        pages: list[str] = []
        for page_num in range(1, len(ids) // size + 3):
            answer = vc.list_sources(
                scope=prefix, order_by=order_by, is_paged="true", page_size=size, page_num=page_num
            )
            assert answer["total_number"] == len(ids)
            listed = [s["video_source_id"] for s in answer["video_source_list"]]
            assert listed == expected[(page_num - 1) * size : page_num * size], (size, page_num)
            pages += listed
        assert pages == expected
    unpaged = vc.list_sources(scope=prefix, order_by=order_by)["video_source_list"]
    assert [s["video_source_id"] for s in unpaged] == expected
    assert [s["create_at"] for s in unpaged] == sorted(CREATED, reverse=order_by == "desc")
