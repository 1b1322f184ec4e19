"""``GET /metrics`` of a real server while real tasks run: a live camera (GStreamer RTSP) whose
per-stream series move, and a flame clip whose alarms are stored and delivered to a webhook.
The exposition parses with prometheus_client's parser, and every expression of the Grafana
dashboard names a metric the server exports."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.task_center import SMOKE, TaskCenter, task_body, task_center
from tests.api.video_center import URL_CONFIG
from tests.engine.clips import write_clip
from tests.engine.test_lifecycle import ENGINE_ENV, settled, wait_for
from tests.rtsp_support import RtspServer, running_rtsp_server
from tests.sinks.receiver import Receiver, running_receiver
from tests.support import REPO, Server, running_server

DASHBOARD = REPO / "deploy" / "grafana" / "openvias.json"
STAGES = ("decode", "convert", "analyse")
#: (sample name, labels as sorted pairs) -> value
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("metrics")
    write_clip(folder / "flame.mp4", 6, flame=True)
    write_clip(folder / "cam.mp4", 6, flame=False)
    return folder


@pytest.fixture(scope="module")
def camera(clips: Path) -> Iterator[RtspServer]:
    with running_rtsp_server({"cam": clips / "cam.mp4"}) as rtsp:
        yield rtsp


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def metrics_server(backend: str, clips: Path) -> Iterator[Server]:
    env = {
        **ENGINE_ENV,
        "OPENVIAS_FILE_ROOTS": str(clips),
        "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",
    }
    with running_server(backend, **env) as server:
        yield server


@pytest.fixture
def tc(metrics_server: Server) -> Iterator[TaskCenter]:
    with task_center(metrics_server) as center:
        yield center


def scrape(server: Server) -> tuple[str, Samples]:
    """The exposition (checked: it parses, names and types agree) and its samples."""
    answer = httpx.get(f"{server.base_url}/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        assert family.documentation, family.name
        for sample in family.samples:
            if family.type == "counter":
                assert sample.name.endswith(("_total", "_created")), sample.name
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, f"{key} twice"
            samples[key] = sample.value
    return answer.text, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over the series of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, pairs), v in samples.items() if n == name and wanted <= set(pairs))


def test_the_series_move_while_tasks_run(
    tc: TaskCenter, camera: RtspServer, receiver: Receiver, clips: Path
) -> None:
    server = tc.server
    _, before = scrape(server)
    assert value(before, "openvias_engine_slots", state="used") == 0
    assert value(before, "openvias_engine_slots", state="free") == 4
    assert (value(before, "process_resident_memory_bytes") or 0) > 0
    assert value(before, "process_cpu_seconds_total") is not None
    assert value(before, "openvias_outbox_pending_deliveries") == 0
    assert value(before, "openvias_db_connections_in_use") is not None

    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=camera.url("cam")))
    live = tc.create_ids(task_body([source]))[0]
    wait_for(lambda: tc.state(live) == "RUNNING", what="the live task to run")
    stream = {"task_id": live, "service": SMOKE}
    first = wait_for(
        lambda: value(scrape(server)[1], "openvias_stream_samples_analysed_total", **stream),
        what="the stream's first samples",
    )
    wait_for(
        lambda: (
            (value(scrape(server)[1], "openvias_stream_samples_analysed_total", **stream) or 0)
            > first
        ),
        what="the stream's samples to move",
    )
    _, running = scrape(server)
    assert value(running, "openvias_engine_slots", state="used") == 1
    assert value(running, "openvias_engine_slots", state="free") == 3
    assert value(running, "openvias_stream_abnormal", **stream) == 0
    assert (value(running, "openvias_stream_position_seconds", **stream) or 0) > 0
    assert value(running, "openvias_stream_reconnects_total", **stream) == 0
    assert (value(running, "openvias_stream_lag_seconds", **stream) or -1) >= 0
    assert total(running, "openvias_detector_latency_seconds_count", service=SMOKE) >= 1
    work: list[tuple[str, dict[str, str]]] = [("openvias_stream_pictures_decoded_total", {})]
    work += [("openvias_stream_stage_seconds_total", {"stage": s}) for s in STAGES]
    for name, extra in work:
        labels = {**stream, **extra}
        earlier = value(running, name, **labels) or 0
        assert earlier > 0, (name, labels)
        wait_for(moved(server, name, labels, earlier), what=f"{name} {extra} to move")

    output = {"webhook": {"url": receiver.script("/alarms"), "headers": {"X-Test": "yes"}}}
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=(clips / "flame.mp4").as_uri()))
    config = {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 1}}
    fire = tc.create_ids(task_body([source], config=config, output=output))[0]
    assert wait_for(settled(tc, fire), what="the file task to end") == "SUCCEEDED"
    receiver.wait(lambda got: len(got) >= 1, "/alarms")
    delivered = {"output": "webhook", "outcome": "delivered"}
    after = wait_for(
        lambda: (
            (s := scrape(server)[1])
            and total(s, "openvias_delivery_attempts_total", **delivered) >= 1
            and s
        ),
        what="the delivery to be counted",
    )
    assert total(after, "openvias_alarms_stored_total", service=SMOKE) >= 1
    assert total(after, "openvias_alarms_stored_total", service=SMOKE, state="1") >= 1
    assert total(after, "openvias_delivery_latency_seconds_count", output="webhook") >= 1
    assert total(after, "openvias_delivery_attempt_duration_seconds_count", **delivered) >= 1

    tc.action(live, "stop")
    wait_for(
        lambda: value(scrape(server)[1], "openvias_engine_slots", state="used") == 0,
        what="the slot to be free",
    )
    _, stopped = scrape(server)
    assert value(stopped, "openvias_stream_samples_analysed_total", **stream) is None


def moved(server: Server, name: str, labels: dict[str, str], earlier: float) -> Callable[[], bool]:
    """Whether the series has grown past ``earlier`` in a new scrape."""
    return lambda: (value(scrape(server)[1], name, **labels) or 0) > earlier


def exported_names(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names.update(f"{family.name}_{end}" for end in ("bucket", "count", "sum"))
    return names


def test_the_dashboard_shows_exported_metrics(metrics_server: Server) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exported = exported_names(scrape(metrics_server)[0])
    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    assert len(panels) >= 8
    for panel in panels:
        assert panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = set(re.findall(r"\b(?:openvias|process)_[a-z_]+", target["expr"]))
            assert used, target["expr"]
            assert used <= exported, (panel["title"], used - exported)


@pytest.mark.only_backend("sqlite")
def test_metrics_can_be_turned_off(backend: str) -> None:
    with running_server(backend, OPENVIAS_METRICS_ENABLED="false") as server:
        answer = httpx.get(f"{server.base_url}/metrics")
        assert answer.status_code == 404
        assert answer.json()["error_code"].startswith("VIAS."), answer.text
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
