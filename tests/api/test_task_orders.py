"""Resource orders across tasks and batch tasks: an order's ``max_tasks`` counts every active
task that runs under it, single tasks and batch members alike (members run under their
batch task's order). Runs in a project of its own, so that the counts are this test's."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from openvias.cli import orders
from tests.api.identity_support import create_tenant
from tests.api.task_center import batch_body, batch_input, task_body, task_center
from tests.support import Server

INTRUSION = "c-intrusiondetection-cloud"
CONFIG = {"common": {"person_detection_sw": 1}}


def create_order(server: Server, project_id: str, service: str, max_tasks: int) -> str:
    """A resource order of ``project_id`` (admin CLI); returns its id."""
    args = ["create-order", "--project", project_id, "--service", service]
    result = CliRunner().invoke(orders.app, [*args, "--max-tasks", str(max_tasks)], env=server.env)
    assert result.exit_code == 0, (result.output, result.stderr)
    return str(json.loads(result.stdout)["id"])


def test_an_order_counts_single_tasks_and_batch_members(server: Server) -> None:
    # given a project with an order for three running intrusion-detection tasks
    tenant = create_tenant(server)
    order = create_order(server, tenant.project_id, INTRUSION, 3)
    with task_center(server, token=tenant.token, project_id=tenant.project_id) as tc:
        s1, s2, s3, s4 = tc.sources(4)
        group = tc.group([s1, s2, s3, s4])
        # when a commercial batch task names no order; then it is refused
        body = batch_body([(group, [s1, s2])], service_name=INTRUSION, config=CONFIG)
        assert tc.create_batch(body, expect=400)["params"] == ["resource_order_id"]
        # when it names the order, for two sources; then both run under it
        batch_id = tc.create_batch({**body, "resource_order_id": order})["id"]
        members = tc.members(batch_id)
        assert {m["resource_order_id"] for m in members.values()} == {order}
        # when single tasks would make four; then the order refuses them, and nothing is made
        single = task_body([s3, s4], config=CONFIG, resource_order_id=order)
        error = tc.create(single, service=INTRUSION, expect=400)
        assert error["error_code"] == "VIAS.00010048"
        assert tc.list_tasks(task_name=single["name"])["tasks"] == []
        # when one single task makes three; then it runs
        (tid,) = tc.create_ids({**single, "input": task_body([s3])["input"]}, service=INTRUSION)
        # when the running batch task grows to three sources (four tasks); then it is refused
        grow = {"batch_input": batch_input([(group, [s1, s2, s4])])}
        assert tc.update_batch(batch_id, grow, expect=400)["error_code"] == "VIAS.00010048"
        assert set(tc.members(batch_id)) == {s1, s2}
        # when the batch task is stopped, it may grow (its new member is stopped too)
        tc.batch_action(batch_id, "stop")
        assert tc.update_batch(batch_id, grow)["succeed_count"] == 3
        # and one member may start on its own under the batch task's order
        tc.action(tc.members(batch_id)[s1]["id"], "start")
        # but starting the whole batch task would make four: refused, nothing started
        assert tc.batch_action(batch_id, "start", expect=400)["error_code"] == "VIAS.00010048"
        states = {sid: m["state"] for sid, m in tc.members(batch_id).items()}
        assert states == {s1: "STARTING", s2: "STOPPED", s4: "STOPPED"}
        # when the single task stops; then starting the batch task makes three and runs
        tc.action(tid, "stop")
        assert tc.batch_action(batch_id, "start")["succeed_count"] == 3
