"""A file source through its task's life, on a real server with real stream processes: it is
Online while a task reads it and Offline once none does (the task ended, or its batch task
was stopped), in its own detail and in its group's counts; a second start of a file task
says, in the task's ``status``, that it reads the file again from the start."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.task_center import TaskCenter, batch_body, task_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.test_failover import alternating
from tests.engine.test_lifecycle import ENGINE_ENV, settled, wait_for
from tests.support import Server, running_server


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("source-status")
    short = write_clip(folder / "short.mp4", 3, flame=False)
    alternating(short, short, folder / "long.mp4", 40)  # 4 minutes, made in a second
    return folder


@pytest.fixture(scope="module")
def engine_server(backend: str, videos: Path) -> Iterator[Server]:
    with running_server(backend, OPENVIAS_FILE_ROOTS=str(videos), **ENGINE_ENV) as server:
        yield server


@pytest.fixture
def tc(engine_server: Server) -> Iterator[TaskCenter]:
    with task_center(engine_server) as center:
        yield center


def file_batch(tc: TaskCenter, path: Path) -> tuple[str, str, str]:
    """(source id, group id, batch id) of a batch task over a group of one file source."""
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=path.as_uri()))
    group = tc.vc.create_group([source])
    batch = tc.create_batch(batch_body([(group, [source])]))["id"]
    return source, group, str(batch)


def status_of(tc: TaskCenter, source_id: str) -> str:
    return str(tc.vc.show_source(source_id)["status"]["status"])


def group_counts(tc: TaskCenter, group_id: str) -> dict[str, Any]:
    return dict(tc.vc.show_group(group_id)["group_status"])


def lease_owner(server: Server, task_id: str) -> str | None:
    """Who holds the task's lease (None once its engine let it go)."""
    return asyncio.run(_lease_owner(server.env["OPENVIAS_DATABASE_URL"], task_id))


async def _lease_owner(url: str, task_id: str) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            statement = text("SELECT owner FROM stream_leases WHERE task_id = :id")
            owner = await connection.scalar(statement, {"id": task_id})
    finally:
        await engine.dispose()
    return None if owner is None else str(owner)


def test_a_file_source_is_offline_once_its_task_succeeded(tc: TaskCenter, videos: Path) -> None:
    source, group, batch = file_batch(tc, videos / "short.mp4")
    (task_id,) = tc.ids(batch_id=batch)
    assert wait_for(settled(tc, task_id), what="the file task to end") == "SUCCEEDED"
    shown = tc.vc.show_source(source)["status"]
    assert shown == {"level": "2", "name": "离线", "status": "Offline"}
    assert group_counts(tc, group) == {"num_online": 0, "num_offline": 1, "num_exception": 0}


def test_stopping_the_batch_task_takes_its_file_source_offline(
    tc: TaskCenter, videos: Path
) -> None:
    source, group, batch = file_batch(tc, videos / "long.mp4")
    wait_for(lambda: status_of(tc, source) == "Online", what="the source to be read")
    assert group_counts(tc, group)["num_online"] == 1
    tc.batch_action(batch, "stop")
    wait_for(lambda: status_of(tc, source) == "Offline", what="the source to go offline")
    assert group_counts(tc, group) == {"num_online": 0, "num_offline": 1, "num_exception": 0}


def test_a_source_read_by_another_running_task_stays_online(tc: TaskCenter, videos: Path) -> None:
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=(videos / "long.mp4").as_uri()))
    first, second = (tc.create_ids(task_body([source]))[0] for _ in range(2))
    wait_for(lambda: tc.state(first) == "RUNNING" and tc.state(second) == "RUNNING", what="both")
    tc.action(first, "stop")
    wait_for(lambda: lease_owner(tc.server, first) is None, what="the engine to let go of it")
    assert status_of(tc, source) == "Online"
    tc.action(second, "stop")
    wait_for(lambda: status_of(tc, source) == "Offline", what="the source to go offline")


def test_a_second_start_of_a_file_task_says_it_reads_the_file_again(
    tc: TaskCenter, videos: Path
) -> None:
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=(videos / "short.mp4").as_uri()))
    task_id = tc.create_ids(task_body([source]))[0]
    assert wait_for(settled(tc, task_id), what="the first run to end") == "SUCCEEDED"
    assert "RERUN" not in tc.show(task_id)["status"]
    tc.action(task_id, "start")
    shown = wait_for(
        lambda: (s := tc.show(task_id))["state"] == "SUCCEEDED" and "RERUN" in s["status"] and s,
        what="the second run to end",
    )
    assert shown["status"].startswith("RERUN: run 2 analyses the file again from the start")
    assert "delivered again" in shown["status"]
