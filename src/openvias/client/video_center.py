"""Video Center: video sources and video groups."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openvias.client.base import Operations, QueryValue, body_json, iterate_pages, query, segment
from openvias.schemas.video_groups import (
    VideoGroupCreate,
    VideoGroupCreated,
    VideoGroupInfo,
    VideoGroupList,
    VideoGroupListItem,
    VideoGroupUpdate,
)
from openvias.schemas.video_sources import (
    VideoSourceCreate,
    VideoSourceCreated,
    VideoSourceInfo,
    VideoSourceList,
    VideoSourceListItem,
    VideoSourceUpdate,
)


class VideoCenterOperations(Operations):
    def create_video_source(
        self, body: VideoSourceCreate | Mapping[str, Any]
    ) -> VideoSourceCreated:
        return self._call(
            VideoSourceCreated, "POST", "/source", json=body_json(VideoSourceCreate, body)
        )

    def update_video_source(
        self, video_source_id: str, body: VideoSourceUpdate | Mapping[str, Any]
    ) -> VideoSourceInfo:
        path = f"/source/{segment(video_source_id)}"
        return self._call(VideoSourceInfo, "PUT", path, json=body_json(VideoSourceUpdate, body))

    def delete_video_source(self, video_source_id: str) -> None:
        self._send("DELETE", f"/source/{segment(video_source_id)}")

    def show_video_source_detail(self, video_source_id: str) -> VideoSourceInfo:
        return self._call(VideoSourceInfo, "GET", f"/source/sources/{segment(video_source_id)}")

    def show_video_source_snapshot(
        self, video_source_id: str, *, at: float | None = None, max_side: int | None = None
    ) -> bytes:
        """A JPEG of the source (openvias extension): at ``at`` seconds into a file."""
        params = {k: v for k, v in {"at": at, "max_side": max_side}.items() if v is not None}
        path = f"/source/sources/{segment(video_source_id)}/snapshot"
        return self._send("GET", path, params=params).content

    def list_video_sources(
        self,
        *,
        page_num: int | None = None,
        page_size: int | None = None,
        is_paged: bool | None = None,
        **filters: QueryValue,
    ) -> VideoSourceList:
        """``filters``: the operation's other query parameters (``scope``, ``status``,
        ``type``, ``video_group_id``, ``sort_name``, ``order_by``, ``tag`` ...)."""
        params = query(page_num=page_num, page_size=page_size, is_paged=is_paged, **filters)
        return self._call(VideoSourceList, "GET", "/source/sources", params=params)

    def iter_video_sources(
        self, *, page_size: int = 100, **filters: QueryValue
    ) -> Iterator[VideoSourceListItem]:
        def page(index: int) -> list[VideoSourceListItem]:
            listed = self.list_video_sources(
                page_num=index + 1, page_size=page_size, is_paged=True, **filters
            )
            return listed.video_source_list

        return iterate_pages(page, page_size)

    def create_video_group(self, body: VideoGroupCreate | Mapping[str, Any]) -> VideoGroupCreated:
        return self._call(
            VideoGroupCreated, "POST", "/video-group", json=body_json(VideoGroupCreate, body)
        )

    def update_video_group(
        self, video_group_id: str, body: VideoGroupUpdate | Mapping[str, Any]
    ) -> None:
        path = f"/video-group/{segment(video_group_id)}"
        self._send("PUT", path, json=body_json(VideoGroupUpdate, body))

    def delete_video_group(self, video_group_id: str) -> None:
        self._send("DELETE", f"/video-group/{segment(video_group_id)}")

    def show_video_group_detail(self, video_group_id: str) -> VideoGroupInfo:
        return self._call(VideoGroupInfo, "GET", f"/video-group/{segment(video_group_id)}")

    def list_video_groups(
        self,
        *,
        page_num: int | None = None,
        page_size: int | None = None,
        is_paged: bool | None = None,
        **filters: QueryValue,
    ) -> VideoGroupList:
        """``filters``: ``name``, ``status``, ``access_type``, ``has_task``, ``type``,
        ``sort_name``, ``order_by``."""
        params = query(page_num=page_num, page_size=page_size, is_paged=is_paged, **filters)
        return self._call(VideoGroupList, "GET", "/video-group/groups", params=params)

    def iter_video_groups(
        self, *, page_size: int = 100, **filters: QueryValue
    ) -> Iterator[VideoGroupListItem]:
        def page(index: int) -> list[VideoGroupListItem]:
            listed = self.list_video_groups(
                page_num=index + 1, page_size=page_size, is_paged=True, **filters
            )
            return listed.video_group_list

        return iterate_pages(page, page_size)
