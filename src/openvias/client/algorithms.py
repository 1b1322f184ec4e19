"""Algorithm Center: the project's algorithm services."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from openvias.client.base import Operations, QueryValue, body_json, iterate_pages, query, segment
from openvias.schemas.algorithms import (
    DeployServiceReq,
    DeployServiceResp,
    ServiceDetail,
    ServiceListResponse,
    ServicesListInfo,
    UpdateDeployAlgorithmResp,
)


class AlgorithmOperations(Operations):
    def list_user_services(
        self,
        *,
        page_num: int | None = None,
        page_size: int | None = None,
        is_paged: bool | None = None,
        **filters: QueryValue,
    ) -> ServiceListResponse:
        """``filters``: ``name_like``, ``alg_status``, ``sort_name``, ``order_by``."""
        params = query(page_num=page_num, page_size=page_size, is_paged=is_paged, **filters)
        return self._call(ServiceListResponse, "GET", "/algorithm/services/user", params=params)

    def iter_user_services(
        self, *, page_size: int = 100, **filters: QueryValue
    ) -> Iterator[ServicesListInfo]:
        def fetch(index: int) -> list[ServicesListInfo]:
            listed = self.list_user_services(
                page_num=index + 1, page_size=page_size, is_paged=True, **filters
            )
            return listed.service_list

        return iterate_pages(fetch, page_size)

    def show_service_detail(self, service_id: str) -> ServiceDetail:
        return self._call(ServiceDetail, "GET", f"/algorithm/services/{segment(service_id)}")

    def deploy_algorithm(
        self, alg_id: str, body: DeployServiceReq | Mapping[str, Any]
    ) -> DeployServiceResp:
        path = f"/algorithm/{segment(alg_id)}/deploy"
        return self._call(DeployServiceResp, "POST", path, json=body_json(DeployServiceReq, body))

    def stop_deploy_algorithm(self, alg_id: str) -> UpdateDeployAlgorithmResp:
        path = f"/algorithm/{segment(alg_id)}/deploy/stop"
        return self._call(UpdateDeployAlgorithmResp, "PUT", path)
