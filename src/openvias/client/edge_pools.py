"""O&M Center: edge resource pools (groups of ``openvias worker --pool NAME``) and the
engine workers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openvias.client.base import Operations, QueryValue, body_json, iterate_pages, query, segment
from openvias.schemas.edge_pools import (
    EdgePoolCreate,
    EdgePoolCreated,
    EdgePoolInfo,
    EdgePoolList,
    EdgePoolListItem,
)
from openvias.schemas.workers import WorkerList


class EdgePoolOperations(Operations):
    def create_edge_pool(self, body: EdgePoolCreate | Mapping[str, Any]) -> EdgePoolCreated:
        json = body_json(EdgePoolCreate, body)
        return self._call(EdgePoolCreated, "POST", "/edge-pools", json=json)

    def delete_edge_pool(self, pool_id: str) -> None:
        self._send("DELETE", f"/edge-pools/{segment(pool_id)}")

    def show_edge_pool_info(self, pool_id: str) -> EdgePoolInfo:
        return self._call(EdgePoolInfo, "GET", f"/edge-pools/{segment(pool_id)}")

    def list_edge_pools(
        self,
        *,
        page_num: int | None = None,
        page_size: int | None = None,
        is_paged: bool | None = None,
        **filters: QueryValue,
    ) -> EdgePoolList:
        """``filters``: ``name_like``, ``state``, ``sort_name``, ``order_by``."""
        params = query(page_num=page_num, page_size=page_size, is_paged=is_paged, **filters)
        return self._call(EdgePoolList, "GET", "/edge-pools", params=params)

    def iter_edge_pools(
        self, *, page_size: int = 100, **filters: QueryValue
    ) -> Iterator[EdgePoolListItem]:
        def fetch(index: int) -> list[EdgePoolListItem]:
            listed = self.list_edge_pools(
                page_num=index + 1, page_size=page_size, is_paged=True, **filters
            )
            return listed.edge_pools

        return iterate_pages(fetch, page_size)

    def list_workers(self) -> WorkerList:
        """The engine workers (``openvias worker``) and the streams they hold."""
        return self._call(WorkerList, "GET", "/workers")
