"""``openvias.client`` against a real server, on SQLite and PostgreSQL: every operation
of ``/openapi.json`` called through the client, its answer parsed into the wire model and
its effect read back (create, show, list, update, delete)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.client import Client, ViasError
from openvias.schemas.batch_tasks import BatchTaskCreate, BatchTaskUpdate
from openvias.schemas.edge_pools import EdgePoolCreate
from openvias.schemas.evaluations import EvaluationCreate
from openvias.schemas.events import EventReview, EventRulesUpdate
from openvias.schemas.tasks import TaskCreate, TaskUpdate
from openvias.schemas.templates import BatchTaskFromTemplate
from openvias.schemas.vas import VasTaskCreate, VasTaskUpdate
from openvias.schemas.video_groups import VideoGroupCreate, VideoGroupUpdate
from openvias.schemas.video_sources import VideoSourceCreate, VideoSourceUpdate
from openvias.store.models import Evaluation
from tests.api.event_support import on_db
from tests.api.identity_support import Tenant
from tests.api.task_center import SMOKE, batch_body, batch_input, task_body
from tests.api.vas_support import vas_body
from tests.api.video_center import URL_CONFIG, unique
from tests.client.conftest import Driven
from tests.sinks.delivery_support import make_alarm, new_task_id, seed, webhook
from tests.support import Server, free_port

#: Operation ids with no client method, and why.
NOT_CLIENT_OPERATIONS = {
    "healthz_healthz_get": "probe for orchestrators, not a project operation",
    "readyz_readyz_get": "probe for orchestrators, not a project operation",
    "metrics_metrics_get": "Prometheus scrape, not a project operation",
    "create_token_v3_auth_tokens_post": "done by Client.with_password (TokenAuth)",
    "revoke_token_v3_auth_tokens_delete": "identity, not VIAS",
    "list_projects_v3_projects_get": "done by Client.with_access_key (project lookup)",
}
NOT_FOUND = "VIAS.00010002"


def snake_case(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def test_every_operation_has_a_method(driven: Driven) -> None:
    """A new route without a client method fails here."""
    ids = {operation for _, _, operation in driven.routes}
    assert set(NOT_CLIENT_OPERATIONS) <= ids  # the exclusions are real operations
    missing = [
        op
        for op in sorted(ids - set(NOT_CLIENT_OPERATIONS))
        if not callable(getattr(Client, snake_case(op), None))
    ]
    assert missing == []


def file_source(client: Client, clip: Path, name: str | None = None) -> str:
    body = VideoSourceCreate(
        access_type="cloud",
        type="url",
        type_config=URL_CONFIG.format(url=clip.as_uri()),
        video_source_name=name or unique("src"),
    )
    return client.create_video_source(body).video_source_id


def test_video_sources_and_groups(client: Client, clip: Path) -> None:
    name = unique("src")
    source_id = file_source(client, clip, name)
    shown = client.show_video_source_detail(source_id)
    assert (shown.video_source_name, shown.type) == (name, "url")
    listed = client.list_video_sources(scope=name, is_paged=True, page_size=5)
    assert [s.video_source_id for s in listed.video_source_list] == [source_id]
    renamed = unique("renamed")
    update = VideoSourceUpdate(type_config=shown.type_config, video_source_name=renamed)
    assert client.update_video_source(source_id, update).video_source_name == renamed
    assert client.show_video_source_detail(source_id).video_source_name == renamed
    picture = client.show_video_source_snapshot(source_id, at=1, max_side=320)
    assert picture[:3] == b"\xff\xd8\xff"

    group = unique("g")[:20]
    body = VideoGroupCreate(
        access_type="cloud", video_group_name=group, video_source_ids=[source_id]
    )
    group_id = client.create_video_group(body).video_group_id
    assert client.show_video_group_detail(group_id).num_video_source == 1
    listed_groups = client.list_video_groups(name=group)
    assert [g.video_group_id for g in listed_groups.video_group_list] == [group_id]
    client.update_video_group(
        group_id, VideoGroupUpdate(video_source_ids=[source_id], description="lobby")
    )
    assert client.show_video_group_detail(group_id).description == "lobby"
    client.delete_video_group(group_id)
    with pytest.raises(ViasError) as caught:
        client.show_video_group_detail(group_id)
    assert caught.value.status == 404
    client.delete_video_source(source_id)
    with pytest.raises(ViasError) as caught:
        client.show_video_source_detail(source_id)
    assert (caught.value.status, caught.value.error_code) == (404, NOT_FOUND)


def test_tasks_and_streams(client: Client, clip: Path) -> None:
    source_id = file_source(client, clip)
    created = client.create_task(SMOKE, TaskCreate.model_validate(task_body([source_id])))
    (task_id,) = [t.id for t in created.tasks]
    info = client.show_task_info(task_id)
    assert info.service_name == SMOKE
    assert task_id in {t.id for t in client.iter_tasks(page_size=5)}

    assert client.start_stop_task(task_id, "stop").id == task_id
    assert client.show_task_info(task_id).state == "STOPPED"
    client.start_stop_task(task_id, "start")
    assert client.show_task_info(task_id).state != "STOPPED"
    assert client.show_task_stream(task_id).task_id == task_id
    assert task_id in {s.task_id for s in client.list_streams(limit=100).streams}

    name = unique("renamed")
    update = TaskUpdate.model_validate(task_body([source_id], name=name))
    assert client.update_task(task_id, update).id == task_id
    assert client.show_task_info(task_id).name == name
    assert client.delete_task(task_id).id == task_id
    with pytest.raises(ViasError) as caught:
        client.show_task_info(task_id)
    assert caught.value.status == 404


def test_batch_tasks_and_templates(client: Client, clip: Path) -> None:
    source_id = file_source(client, clip)
    group = VideoGroupCreate(
        access_type="cloud", video_group_name=unique("g")[:20], video_source_ids=[source_id]
    )
    group_id = client.create_video_group(group).video_group_id
    body = batch_body([(group_id, [source_id])], is_saved_as_template=True)
    batch = client.create_batch_task(BatchTaskCreate.model_validate(body))
    assert (batch.total_count, batch.succeed_count) == (1, 1)
    listed = client.list_batch_tasks(name_like=body["name"], is_paged=True, page_size=5)
    assert [b.id for b in listed.batch_task_list] == [batch.id]
    assert {t.batch_id for t in client.list_tasks(batch_id=batch.id).tasks} == {batch.id}

    assert client.batch_start_stop_task(batch.id, "stop").id == batch.id
    assert {t.state for t in client.iter_tasks(batch_id=batch.id)} == {"STOPPED"}
    update = BatchTaskUpdate(description="night shift")
    assert client.update_batch_task(batch.id, update).id == batch.id

    (template,) = [t for t in client.iter_templates(page_size=1) if t.name == body["name"]]
    assert client.show_template(template.id).service_name == SMOKE
    from_template = BatchTaskFromTemplate(
        name=unique("again"), batch_input=batch_input([(group_id, [source_id])])
    )
    again = client.create_batch_task_from_template(template.id, from_template)
    assert again.succeed_count == 1
    client.delete_template(template.id)
    assert template.id not in {t.id for t in client.iter_templates()}
    for batch_id in (batch.id, again.id):
        assert client.delete_batch_task(batch_id).id == batch_id
    assert client.list_tasks(batch_id=batch.id).tasks == []


def test_vas_tasks(client: Client) -> None:
    (created,) = client.create_task(SMOKE, VasTaskCreate.model_validate(vas_body(unique("vas"))))
    assert client.show_task(SMOKE, created.id).id == created.id
    listed = client.list_tasks_details(SMOKE, id_like=created.id)
    assert [t.id for t in listed.tasks] == [created.id]
    client.stop_task(SMOKE, created.id)
    assert client.show_task(SMOKE, created.id).state in {"STOPPING", "STOPPED"}
    client.start_task(SMOKE, created.id)
    assert client.show_task(SMOKE, created.id).state not in {"STOPPING", "STOPPED"}
    updated = client.vas_update_task(SMOKE, created.id, VasTaskUpdate(description="legacy 2"))
    assert updated.description == "legacy 2"
    client.vas_delete_task(SMOKE, created.id)
    with pytest.raises(ViasError) as caught:
        client.show_task(SMOKE, created.id)
    assert caught.value.status == 404


def test_algorithm_center(client: Client) -> None:
    services = list(client.iter_user_services(page_size=5))
    (smoke,) = [s for s in services if s.service_name == SMOKE]
    assert client.show_service_detail(smoke.service_id).alg_id == smoke.alg_id
    assert client.stop_deploy_algorithm(smoke.alg_id).alg_id == smoke.alg_id
    assert client.show_service_detail(smoke.service_id).alg_status != smoke.alg_status
    client.deploy_algorithm(smoke.alg_id, {"stream_count": 4})
    assert client.show_service_detail(smoke.service_id).alg_status == smoke.alg_status


def test_events_and_deliveries(client: Client, served: Server, tenant: Tenant) -> None:
    task_id = new_task_id()
    alarms = [make_alarm(tenant.project_id, task_id, 1000 * (i + 1)) for i in range(3)]
    closed = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: the delivery dies
    seed(served, alarms, webhook(closed))
    events = list(client.iter_events(page_size=2, task_id=task_id))
    assert sorted(e.message_id for e in events) == sorted(a.message_id for a in alarms)
    first = alarms[0].message_id
    assert client.show_event(first).task_id == task_id
    assert client.show_event_image(first) == alarms[0].jpeg
    assert client.show_event_image(first, max_side=16)[:2] == b"\xff\xd8"
    counted = client.show_overview(tz="Europe/Berlin").deliveries
    assert counted.pending + counted.delivered + counted.dead >= len(alarms)
    reviewed = client.review_event(first, EventReview(result="rejected", comment="steam"))
    assert (reviewed.review_state, reviewed.review_comment) == ("rejected", "steam")
    assert client.list_secondary_events(first).events == []
    rules = client.update_event_rules(EventRulesUpdate(aggregation_enabled=True))
    assert rules.aggregation_enabled
    assert client.show_event_rules() == rules
    client.update_event_rules({"aggregation_enabled": False})

    deliveries = list(client.iter_deliveries(page_size=2, task_id=task_id))
    assert sorted(d.event_id for d in deliveries) == sorted(a.message_id for a in alarms)
    delivery = deliveries[0]
    while client.show_delivery(delivery.id).state != "dead":  # one attempt, refused
        time.sleep(0.1)
    retried = client.retry_delivery(delivery.id)
    assert (retried.state, retried.attempts) == ("pending", 0)

    client.delete_event(first)
    assert first not in {e.message_id for e in client.iter_events(task_id=task_id)}


def test_an_error_carries_the_servers_code(client: Client) -> None:
    with pytest.raises(ViasError) as caught:
        client.show_video_source_detail("no-such-source")
    error = caught.value
    assert (error.status, error.error_code) == (404, NOT_FOUND)
    assert error.error_msg
    with pytest.raises(ViasError) as caught:
        client.batch_start_stop_task("no-such-batch", "start")
    assert caught.value.status == 404


def test_edge_pools(client: Client) -> None:
    name = unique("pool")[:20]
    created = client.create_edge_pool(EdgePoolCreate(name=name, nodes=["node-a"]))
    shown = client.show_edge_pool_info(created.id)
    assert (shown.name, [n.id for n in shown.nodes]) == (name, ["node-a"])
    assert [p.id for p in client.iter_edge_pools(page_size=1, name_like=name)] == [created.id]
    workers = client.list_workers()
    assert workers.count == len(workers.workers)
    client.delete_edge_pool(created.id)
    assert client.list_edge_pools(name_like=name).edge_pools == []


def test_evaluations(client: Client, served: Server, clip: Path) -> None:
    folder = clip.parent / "evaluation-set"
    folder.mkdir(exist_ok=True)
    labels: dict[str, Any] = {"smoke_fire": {"videos": {"scene.mp4": {"intervals": []}}}}
    (folder / "dataset.json").write_text(json.dumps(labels))
    body = EvaluationCreate.model_validate(
        {
            "service_name": SMOKE,
            "config": {"common": {"fire_detection_sw": 1}},
            "dataset": {"type": "file", "url": folder.as_uri()},
        }
    )
    created = client.create_evaluation(body)
    shown = client.show_evaluation(created.id)
    # the client's server runs no engine: the job waits
    assert (shown.state, shown.service_name, shown.config) == (
        "WAITING",
        SMOKE,
        {"fire_detection_sw": 1},
    )
    assert created.id in {e.id for e in client.iter_evaluations(page_size=1)}
    with pytest.raises(ViasError) as caught:
        client.show_evaluation_report(created.id)
    assert caught.value.status == 404
    report = {"service": SMOKE, "summary": {"recall": 1.0}, "files": [], "findings": []}

    async def finish(session: AsyncSession) -> None:  # as the engine that ran it would
        await session.execute(
            update(Evaluation)
            .where(Evaluation.id == created.id)
            .values(state="SUCCEEDED", report=report)
        )

    on_db(served, finish)
    assert client.show_evaluation(created.id).progress == 100
    assert client.show_evaluation_report(created.id) == report
    with pytest.raises(ViasError) as refused:
        client.create_evaluation({**body.model_dump(), "sweep": "fire_detection_sw=0:9:1"})
    assert (refused.value.status, refused.value.error_code) == (400, "VIAS.00010001")
    client.delete_evaluation(created.id)
    assert created.id not in {e.id for e in client.iter_evaluations()}


def test_every_operation_was_driven(driven: Driven) -> None:
    """Last in the module: the tests above called every operation with a client method
    (run the whole module: this one reads what they recorded)."""
    expected = {operation for _, _, operation in driven.routes} - set(NOT_CLIENT_OPERATIONS)
    assert sorted(expected - driven.operations) == []
