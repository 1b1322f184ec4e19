"""Evaluation jobs through a real ``openvias serve`` with its embedded engine: a labelled
data set in moto's S3 server (standing in for OBS) or under ``OPENVIAS_FILE_ROOTS``, run
on the engine, and its report the one ``openvias evaluate`` writes for the same files."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.ids import new_hex_id
from openvias.store.models import Evaluation
from tests.api.event_support import on_db
from tests.cli.test_evaluate import evaluate, tiny
from tests.sinks.brokers import moto_endpoint, s3_client
from tests.support import Server, running_server

__all__ = ["moto_endpoint", "tiny"]  # fixtures

BUCKET = "eval-sets"
INVALID = "VIAS.00010001"
DONE = ("SUCCEEDED", "FAILED")


def upload(endpoint: str, folder: Path, prefix: str) -> None:
    s3 = s3_client(endpoint)
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(folder).as_posix()}")


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory, tiny: Path) -> Path:
    """OPENVIAS_FILE_ROOTS: a copy of the tiny data set and a folder without labels."""
    root = tmp_path_factory.mktemp("evaluation-roots")
    shutil.copytree(tiny, root / "tiny")
    (root / "unlabelled").mkdir()
    (root / "unlabelled" / "a.mp4").write_bytes(b"")
    return root


@pytest.fixture(scope="module")
def server(backend: str, moto_endpoint: str, roots: Path) -> Iterator[Server]:
    env = {
        "OPENVIAS_ENGINE_SLOTS": "2",
        "OPENVIAS_FILE_ROOTS": str(roots),
        "OPENVIAS_OBS_ENDPOINT": moto_endpoint,
        "OPENVIAS_OBS_ACCESS_KEY_ID": "test-ak",
        "OPENVIAS_OBS_SECRET_ACCESS_KEY": "test-sk",
    }
    with running_server(backend, **env) as running:
        yield running


@pytest.fixture(scope="module")
def cli_report(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("cli-report")
    done = evaluate(tiny, "--out", out, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report


def scoring(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what differs between a job and the CLI by design: where the data
    set was read from, and the thumbnails (the API keeps none)."""
    kept = {key: value for key, value in report.items() if key != "dataset"}
    kept["findings"] = [
        {key: value for key, value in finding.items() if key != "thumbnail"}
        for finding in report["findings"]
    ]
    return kept


def create(server: Server, body: dict[str, Any]) -> httpx.Response:
    with server.client() as http:
        return http.post(f"/v2/{server.project_id}/evaluations", json=body)


def created_id(server: Server, body: dict[str, Any]) -> str:
    answer = create(server, body)
    assert answer.status_code == 201, answer.text
    job_id: str = answer.json()["id"]
    return job_id


def show(server: Server, job_id: str) -> dict[str, Any]:
    with server.client() as http:
        answer = http.get(f"/v2/{server.project_id}/evaluations/{job_id}")
    assert answer.status_code == 200, answer.text
    shown: dict[str, Any] = answer.json()
    return shown


def settled(server: Server, job_id: str, timeout: float = 900) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = show(server, job_id)
        if shown["state"] in DONE:
            return shown
        time.sleep(0.5)
    log = (server.data_dir / "server.log").read_text()[-4000:]
    raise AssertionError(f"evaluation {job_id} did not end: {show(server, job_id)}\n{log}")


def report_of(server: Server, job_id: str) -> httpx.Response:
    with server.client() as http:
        return http.get(f"/v2/{server.project_id}/evaluations/{job_id}/report")


def listed(server: Server, **params: Any) -> dict[str, Any]:
    with server.client() as http:
        answer = http.get(f"/v2/{server.project_id}/evaluations", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def obs_body(prefix: str, **fields: Any) -> dict[str, Any]:
    return {
        "service_name": "c-smoke-and-fire-cloud",
        "dataset": {"type": "obs", "bucket": BUCKET, "prefix": prefix},
        **fields,
    }


def test_a_job_on_obs_reports_what_the_cli_reports(
    server: Server, moto_endpoint: str, tiny: Path, cli_report: dict[str, Any]
) -> None:
    # given the tiny data set in OBS
    upload(moto_endpoint, tiny, "sets/tiny")
    # when a job is created, it waits or runs at once, then succeeds with every file done
    job_id = created_id(server, obs_body("sets/tiny", name="tiny fire"))
    assert show(server, job_id)["state"] in ("WAITING", "RUNNING")
    shown = settled(server, job_id)
    assert shown["state"] == "SUCCEEDED", shown
    assert (shown["files_done"], shown["files_total"], shown["progress"]) == (4, 4, 100)
    assert shown["dataset"] == {"type": "obs", "bucket": BUCKET, "prefix": "sets/tiny/"}
    # then its report is the CLI's for the same files
    answer = report_of(server, job_id)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["dataset"] == f"obs://{BUCKET}/sets/tiny/"
    assert all(finding["thumbnail"] == "" for finding in report["findings"])
    assert scoring(report) == scoring(cli_report)
    assert report["findings"], "the tiny set has a miss: the comparison covers findings"
    # and it is listed, and deleted with its report
    assert job_id in {e["id"] for e in listed(server, limit=1000)["evaluations"]}
    with server.client() as http:
        assert http.delete(f"/v2/{server.project_id}/evaluations/{job_id}").status_code == 204
        gone = http.get(f"/v2/{server.project_id}/evaluations/{job_id}")
    assert gone.status_code == 404
    assert report_of(server, job_id).status_code == 404


@pytest.mark.only_backend("sqlite")
def test_a_sweep_on_a_file_folder_reports_each_value(
    server: Server, roots: Path, cli_report: dict[str, Any]
) -> None:
    body = {
        "service_name": "c-smoke-and-fire-cloud",
        "config": {"common": {"fire_detection_sw": 1}},
        "sweep": "openvias_fire_confirm_samples=3:3:1",
        "goal": "recall>=0.0",
        "dataset": {"type": "file", "url": (roots / "tiny").as_uri()},
    }
    shown = settled(server, created_id(server, body))
    assert shown["state"] == "SUCCEEDED", shown
    report = report_of(server, shown["id"]).json()
    assert (report["key"], report["goal"]) == ("openvias_fire_confirm_samples", "recall>=0.0")
    (row,) = report["rows"]
    (single,) = report["reports"]
    assert (row["value"], row["recall"]) == (3, single["summary"]["recall"])
    assert report["picked"] == {"fire_detection_sw": 1, "openvias_fire_confirm_samples": 3}
    # 3 is the default: the swept run scores as the CLI's run without a configuration
    expected = {**scoring(cli_report), "config": report["picked"]}
    assert scoring(single) == expected


def test_bad_requests_are_refused_and_write_nothing(
    server: Server, moto_endpoint: str, roots: Path, tiny: Path
) -> None:
    upload(moto_endpoint, tiny / "clips", "sets/no-labels")
    before = listed(server)["count"]
    fire = "c-smoke-and-fire-cloud"
    tiny_folder = {"type": "file", "url": tiny.as_uri()}
    escaped = {"type": "file", "url": f"{roots.as_uri()}/../x"}
    unlabelled = {"type": "file", "url": (roots / "unlabelled").as_uri()}
    refused = {
        "unknown service": (obs_body("sets/tiny", service_name="c-no-such-cloud"), "service_name"),
        "bad config": (
            obs_body("sets/tiny", config={"common": {"fire_detection_sw": 7}}),
            "config",
        ),
        "a swept value out of range": (
            obs_body("sets/tiny", sweep="fire_detection_sw=0:2:1"),
            "config",
        ),
        "sweep going down": (obs_body("sets/tiny", sweep="video_sampling_interval=3:1:1"), "sweep"),
        "bucket name": (
            {
                "service_name": fire,
                "dataset": {"type": "obs", "bucket": "Bad_Bucket", "prefix": "a"},
            },
            "dataset.obs.bucket",
        ),
        "prefix leaving the folder": (obs_body("a/../b"), "dataset.obs.prefix"),
        "folder outside the file roots": (
            {"service_name": fire, "dataset": tiny_folder},
            "dataset.url",
        ),
        "file root escaped": ({"service_name": fire, "dataset": escaped}, "dataset.url"),
        "folder without labels": ({"service_name": fire, "dataset": unlabelled}, "dataset"),
        "obs prefix without labels": (obs_body("sets/no-labels"), "dataset"),
    }
    for what, (body, param) in refused.items():
        answer = create(server, body)
        assert answer.status_code == 400, (what, answer.text)
        error = answer.json()
        assert error["error_code"] == INVALID, (what, error)
        assert error["params"] == [param], (what, error)
    assert listed(server)["count"] == before


def test_a_data_set_that_cannot_be_read_ends_failed_with_the_reason(
    server: Server, moto_endpoint: str, tiny: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    labels = json.loads((broken / "dataset.json").read_text())
    labels["smoke_fire"]["videos"]["clips/gone.mp4"] = {"intervals": []}
    (broken / "dataset.json").write_text(json.dumps(labels))
    upload(moto_endpoint, broken, "sets/broken")
    (broken / "dataset.json").write_text("{not json")
    upload(moto_endpoint, broken, "sets/not-json")
    missing = settled(server, created_id(server, obs_body("sets/broken")))
    assert missing["state"] == "FAILED"
    assert missing["reason"].startswith(f"obs://{BUCKET}/sets/broken/dataset.json: ")
    assert "clips/gone.mp4" in missing["reason"]
    assert "not in the folder" in missing["reason"]
    not_json = settled(server, created_id(server, obs_body("sets/not-json")))
    assert not_json["state"] == "FAILED"
    assert "dataset.json" in not_json["reason"]
    assert "invalid json" in not_json["reason"].lower()
    answer = report_of(server, missing["id"])
    assert answer.status_code == 404
    assert "not in the folder" in answer.json()["detail"]


def test_the_list_shows_every_row_when_one_is_broken(server: Server) -> None:
    sound, broken = new_hex_id(), new_hex_id()

    async def store_rows(session: AsyncSession) -> None:
        for job_id, state, config in ((sound, "SUCCEEDED", {}), (broken, "LOST", {"x": "\ud800"})):
            session.add(
                Evaluation(
                    id=job_id,
                    project_id=server.project_id,
                    service_name="c-smoke-and-fire-cloud",
                    config=config,
                    goal="recall>=0.9",
                    dataset={"type": "obs", "bucket": BUCKET, "prefix": "gone/"},
                    state=state,
                    created_at=1,
                )
            )

    on_db(server, store_rows)
    rows = {e["id"]: e for e in listed(server, limit=1000)["evaluations"]}
    assert rows[sound]["state"] == "SUCCEEDED"
    assert rows[broken]["state"] == "FAILED"
    assert rows[broken]["reason"] == "stored state 'LOST' is unknown"
    assert rows[broken]["config"] == {"x": "\ufffd"}
    assert show(server, broken)["state"] == "FAILED"
    page = listed(server, offset=0, limit=1)
    assert len(page["evaluations"]) == 1
    assert page["count"] >= 2
