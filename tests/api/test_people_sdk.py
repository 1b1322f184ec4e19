"""Huawei's own ``huaweicloudsdkvas``, unchanged, creates intrusion-detection and flow-count
tasks (commercial services, under a resource order) with lines and regions, and sees their
configuration back; an openvias extension key out of range is refused."""

from __future__ import annotations

import json

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkvas.v2 import (
    CreateTasksRequest,
    CreateTasksRequestBody,
    ShowTaskRequest,
    TaskInput,
    TaskInputData,
    TaskOutput,
    TaskOutputWebhook,
    TaskServiceConfig,
    VasClient,
)

from tests.api.test_task_orders import create_order
from tests.api.vas_support import HOOK, STREAM, access_keys, vas_client
from tests.support import Server

ROI = json.dumps(
    {
        "lines": [
            {
                "data": [[600, 0], [600, 432]],
                "properties": {"side1_name": "in", "side2_name": "out"},
            }
        ],
        "polygons": [{"data": [[380, 330], [580, 330], [580, 432], [380, 432]], "name": "zone"}],
    }
)
CONFIGS = {
    "c-intrusiondetection-cloud": {
        "target_roi": ROI, "line_detection_sw": 1, "loitering_detection_sw": 1,
        "openvias_loitering_s": 20, "openvias_analysis_fps": 8,
    },
    "c-flowcount-edge": {
        "target_roi": ROI, "line_count_interval": 10, "region_count_interval": 30,
        "car_detection_sw": 1,
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def client(server: Server) -> VasClient:
    return vas_client(server, access_keys(server))


def body(name: str, order: str, common: dict[str, object]) -> CreateTasksRequestBody:
    return CreateTasksRequestBody(
        name=name,
        service_version="3.0",
        resource_order_id=order,
        input=TaskInput(type="url", data=[TaskInputData(url=STREAM)]),
        output=TaskOutput(webhook=TaskOutputWebhook(url=HOOK["url"], headers=HOOK["headers"])),
        service_config=TaskServiceConfig(common=common),
    )


#: An out-of-range openvias extension key of each service.
BAD = {
    "c-intrusiondetection-cloud": {"openvias_loitering_s": 0},
    "c-flowcount-edge": {"openvias_analysis_fps": 60},
}


@pytest.mark.parametrize("service", sorted(CONFIGS))
def test_the_sdk_drives_a_people_task_and_its_extension_keys_are_checked(
    server: Server, client: VasClient, service: str
) -> None:
    order = create_order(server, server.project_id, service, 1)
    # when the SDK sends an analysis key out of range; then it is refused, nothing made
    bad = body("people-bad", order, {**CONFIGS[service], **BAD[service]})
    with pytest.raises(ClientRequestException) as caught:
        client.create_tasks(CreateTasksRequest(service_name=service, body=bad))
    assert caught.value.status_code == 400
    assert next(iter(BAD[service])) in caught.value.error_msg
    # when it sends a valid one; then the task is made and shown with it
    common = CONFIGS[service]
    created = client.create_tasks(
        CreateTasksRequest(service_name=service, body=body("people-task", order, common))
    )
    assert created.status_code == 201
    (item,) = created.body
    shown = client.show_task(ShowTaskRequest(service_name=service, task_id=item.id))
    assert shown.service_name == service
    assert shown.service_config.common == common
