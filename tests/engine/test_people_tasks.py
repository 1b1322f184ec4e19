"""Intrusion detection and flow counting as tasks of the real server, to a real webhook.

The first 26 s of the Intel one-by-one clip (CC BY 4.0, read from the shared evaluation set
and cut without re-encoding into a temporary folder; skipped when the set is absent): one
person walks into the table zone at 6.6 s, crosses the line x = 600 at 19.0 s, and the next
one walks in at 23.3 s. A model that is missing fails the task with a clear error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from tests.algorithms.people_data import INTEL, intel_roi, needs_people_data
from tests.api.task_center import TaskCenter, task_body, task_center
from tests.api.test_task_orders import create_order
from tests.api.video_center import URL_CONFIG
from tests.engine.test_lifecycle import events, settled, wait_for
from tests.sinks.test_end_to_end import Receiver
from tests.support import Server, running_server

INTRUSION = "c-intrusiondetection-cloud"
FLOW = "c-flowcount-edge"
CUT_S = 26.0

pytestmark = needs_people_data


def cut(source: Path, target: Path, seconds: float) -> Path:
    """The first ``seconds`` of ``source``, packets copied as they are."""
    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        stream = inp.streams.video[0]
        copy = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:
                continue
            if packet.pts is not None and packet.pts * stream.time_base >= seconds:
                break
            packet.stream = copy
            out.mux(packet)
    return target


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("people")
    cut(INTEL, folder / "intel-26s.mp4", CUT_S)
    return folder


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    import threading

    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def people_env(clips: Path, **extra: str) -> dict[str, str]:
    """A server that analyses files of ``clips`` and may post to a loopback webhook."""
    return {
        "OPENVIAS_ENGINE_SLOTS": "2",
        "OPENVIAS_FILE_ROOTS": str(clips),
        "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",
        **extra,
    }


def people_task(tc: TaskCenter, clip: Path, service: str, url: str, **common: Any) -> str:
    order = create_order(tc.server, tc.server.project_id, service, 2)
    source = tc.vc.create_source(type_config=URL_CONFIG.format(url=clip.as_uri()))
    body = task_body(
        [source],
        config={"common": {"target_roi": intel_roi(), **common}},
        output={"webhook": {"url": url, "headers": {"X-Site": "bar"}}},
        resource_order_id=order,
    )
    return tc.create_ids(body, service=service)[0]


def analysed(server: Server, tc: TaskCenter, task_id: str) -> list[dict[str, Any]]:
    """The events of a task once it has analysed its whole file."""
    state = wait_for(settled(tc, task_id), timeout=240, what="the analysis")
    assert state == "SUCCEEDED", tc.show(task_id).get("error")
    return events(server, task_id)


def delivered(receiver: Receiver, stored: list[dict[str, Any]]) -> None:
    wait_for(
        lambda: receiver.message_ids() >= {e["message_id"] for e in stored},
        timeout=30,
        what="the webhook",
    )


def test_an_intrusion_task_alarms_once_per_entry_and_crossing_to_the_webhook(
    backend: str, clips: Path, receiver: Receiver
) -> None:
    with running_server(backend, **people_env(clips)) as server, task_center(server) as tc:
        task_id = people_task(
            tc, clips / "intel-26s.mp4", INTRUSION, receiver.url,
            line_detection_sw=1, render_result_sw=1,
        )  # fmt: skip
        stored = analysed(server, tc, task_id)
        kinds = sorted(
            (e["data"]["event_set"][0]["event"], e["data"]["event_set"][0]["end_position"])
            for e in stored
        )
        # Two entries into the table zone (6.6 s and 23.3 s), one crossing to the exit.
        assert kinds == [("line", "exit"), ("region", "in"), ("region", "in")]
        delivered(receiver, stored)
        posted = {body["message_id"]: body for body in receiver.bodies}
        for event in stored:
            body = posted[event["message_id"]]
            assert body["event_type"] == 196609
            assert body["image_base64"]
            [item] = body["data"]["event_set"]
            assert item["category"] == 0
            assert item["detection_id"] == item["detection_id"].upper()
            assert set(item["bounding_box"]) == {"x", "y", "w", "h"}


def test_a_flow_count_task_without_its_model_fails_clearly(
    backend: str, clips: Path, receiver: Receiver, tmp_path: Path
) -> None:
    env = people_env(clips, OPENVIAS_DETECTOR_MODEL=str(tmp_path / "missing.onnx"))
    with running_server(backend, **env) as server, task_center(server) as tc:
        task_id = people_task(tc, clips / "intel-26s.mp4", FLOW, receiver.url)
        assert wait_for(settled(tc, task_id), timeout=60, what="the task to fail") == "FAILED"
        error = tc.show(task_id)["error"]
        assert error["code"] == "VIAS.00090508"
        assert "missing.onnx cannot be read" in error["message"]
        assert events(server, task_id) == []


def test_a_flow_count_task_delivers_counts_that_add_up(
    backend: str, clips: Path, receiver: Receiver
) -> None:
    with running_server(backend, **people_env(clips)) as server, task_center(server) as tc:
        task_id = people_task(
            tc, clips / "intel-26s.mp4", FLOW, receiver.url,
            line_count_interval=5, region_count_interval=10,
        )  # fmt: skip
        stored = analysed(server, tc, task_id)
        delivered(receiver, stored)
        posted = list(receiver.bodies)
        lines = [b for b in posted if b["event_type"] == 131073]
        # 26 s in 5 s intervals: five full ones and the last second, flushed at the end
        # (deliveries may arrive in any order).
        intervals = sorted((b["data"]["interval"] for b in lines), reverse=True)
        assert intervals[:5] == [5] * 5
        assert len(intervals) == 6
        assert 0 < intervals[5] < 5
        entries = [b["data"]["event_set"][0] for b in lines]
        # One crossing, at 19.0 s, from the bar side to the exit side.
        assert sum(e["side1_count"] for e in entries) == 1
        assert sum(e["side2_count"] for e in entries) == 0
        assert {e["line_id"] for e in entries} == {"L1"}
        assert len(posted) == len(stored)
