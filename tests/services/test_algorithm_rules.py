"""The rules the Task Center applies (``openvias.services.algorithms``), against the running
server's real database: service lookup, config validation, deployment state, resource orders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.algorithm_catalogue import ServiceSpec, find_service
from openvias.domain.clock import now_ms
from openvias.domain.ids import new_hex_id
from openvias.errors import InvalidParameter
from openvias.services.algorithm_errors import TaskQuotaExceeded
from openvias.services.algorithms import (
    check_resource_order,
    require_service,
    service_is_deployed,
    validated_config,
)
from openvias.store.db import create_engine, create_sessionmaker
from openvias.store.models import ResourceOrder
from tests.api.identity_support import create_tenant
from tests.support import Server


def spec(name: str) -> ServiceSpec:
    found = find_service(name)
    assert found is not None
    return found


SMOKE = spec("c-smoke-and-fire-cloud")
FLOW = spec("c-flowcount-cloud")
INTRUSION = spec("c-intrusiondetection-edge")


def test_require_service() -> None:
    assert require_service("c-flowcount-cloud", "3.0") is FLOW
    assert require_service("c-flowcount-cloud", None) is FLOW
    assert require_service("烟火演示算法", "1.0") is SMOKE
    with pytest.raises(InvalidParameter) as caught:
        require_service("c-nothing-cloud", "3.0")
    assert caught.value.param == "service_name"
    with pytest.raises(InvalidParameter) as caught:
        require_service("c-flowcount-cloud", "9.9")
    assert caught.value.param == "service_version"
    assert caught.value.error_code == "VIAS.00010001"


def test_validated_config_keeps_what_was_sent() -> None:
    assert validated_config(SMOKE, None) == {"common": {}}
    assert validated_config(SMOKE, {}) == {"common": {}}
    assert validated_config(SMOKE, {"common": None}) == {"common": {}}
    sent: dict[str, Any] = {"common": {"video_sampling_interval": 3, "viewpoint": 1}, "x": 1}
    assert validated_config(SMOKE, sent) == sent


@pytest.mark.parametrize(
    ("config", "param"),
    [
        ({"common": {"video_sampling_interval": 0}}, "config.common.video_sampling_interval"),
        ({"common": {"render_roi_sw": False}}, "config.common.render_roi_sw"),
        ({"common": {"target_roi": '{"lines":[{"data":[]}]}'}}, "config.common.target_roi"),
        ({"common": []}, "config.common"),
        ("x", "config"),
    ],
)
def test_validated_config_names_the_field(config: Any, param: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        validated_config(SMOKE, config)
    assert caught.value.param == param
    assert caught.value.error_code == "VIAS.00010001"


@pytest.fixture
async def session(server: Server) -> AsyncIterator[AsyncSession]:
    engine = create_engine(server.env["OPENVIAS_DATABASE_URL"])
    try:
        async with create_sessionmaker(engine)() as opened:
            yield opened
            await opened.rollback()
    finally:
        await engine.dispose()


async def test_service_is_deployed_follows_the_project(
    server: Server, session: AsyncSession
) -> None:
    tenant = create_tenant(server)
    assert await service_is_deployed(session, tenant.project_id, FLOW)
    with server.client(tenant.token) as client:
        stop = f"/v2/{tenant.project_id}/algorithm/{FLOW.alg_id}/deploy/stop"
        assert client.put(stop).status_code == 200
    assert not await service_is_deployed(session, tenant.project_id, FLOW)
    assert await service_is_deployed(session, server.project_id, FLOW)
    assert await service_is_deployed(session, tenant.project_id, SMOKE)


async def add_order(
    session: AsyncSession, project_id: str, service: str, max_tasks: int, expires: int | None
) -> str:
    order = ResourceOrder(
        id=new_hex_id(),
        project_id=project_id,
        service_name=service,
        max_tasks=max_tasks,
        expires_at=expires,
        created_at=now_ms(),
    )
    session.add(order)
    await session.flush()
    return order.id


async def refused(session: AsyncSession, *args: Any) -> InvalidParameter:
    with pytest.raises(InvalidParameter) as caught:
        await check_resource_order(session, *args)
    assert caught.value.param == "resource_order_id"
    return caught.value


async def test_resource_orders(server: Server, session: AsyncSession) -> None:
    project = server.project_id
    other = create_tenant(server).project_id
    flow = await add_order(session, project, FLOW.service_name, 2, None)
    later = await add_order(session, project, FLOW.service_name, 5, now_ms() + 3_600_000)
    expired = await add_order(session, project, FLOW.service_name, 5, now_ms() - 1)
    foreign = await add_order(session, other, FLOW.service_name, 5, None)

    await check_resource_order(session, project, FLOW, flow, 2)
    await check_resource_order(session, project, FLOW, later, 5)
    await check_resource_order(session, project, FLOW, flow, 0)

    missing = await refused(session, project, FLOW, None, 1)
    assert missing.error_code == "VIAS.00010001"
    assert "commercial" in missing.message
    assert (await refused(session, project, FLOW, "", 1)).error_code == "VIAS.00010001"
    unknown = await refused(session, project, FLOW, "0" * 32, 1)
    assert unknown.error_code == "VIAS.00010002"
    assert (await refused(session, project, FLOW, foreign, 1)).error_code == "VIAS.00010002"
    wrong = await refused(session, project, INTRUSION, flow, 1)
    assert wrong.error_code == "VIAS.00010001"
    assert "c-flowcount-cloud" in wrong.message
    assert "expired" in (await refused(session, project, FLOW, expired, 1)).message

    full = await refused(session, project, FLOW, flow, 3)
    assert isinstance(full, TaskQuotaExceeded)
    assert full.error_code == "VIAS.00010048"
    assert full.reason == "The maximum number of tasks has been reached."
    assert full.status_code == 400


async def test_free_services_only_check_a_given_order(
    server: Server, session: AsyncSession
) -> None:
    project = server.project_id
    await check_resource_order(session, project, SMOKE, None, 10_000)
    flow = await add_order(session, project, FLOW.service_name, 1, now_ms() - 1)
    await check_resource_order(session, project, SMOKE, flow, 10_000)
    assert (await refused(session, project, SMOKE, "f" * 32, 1)).error_code == "VIAS.00010002"
