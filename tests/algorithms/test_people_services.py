"""Intrusion detection and flow counting through the engine's pipeline, on the Intel clip.

``intel_one-by-one-person-detection.mp4`` (CC BY 4.0, read in place from the shared
evaluation set): six people, one at a time, walk into the table zone, stand there, and
leave to the right across the line ``x = 600``. The pipeline decodes it with the real media
layer at the services' own rate (5 pictures a second) and runs the real detector.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from openvias.algorithms.detector import MODEL_ENV
from openvias.domain.alarms import LINE_COUNT_EVENT_TYPE, REGION_COUNT_EVENT_TYPE
from openvias.engine.job import Report, StreamJob
from openvias.engine.pipeline import ALGORITHM_UNAVAILABLE, Pipeline
from tests.algorithms.people_data import INTEL, intel_roi, needs_people_data, truth
from tests.engine.test_people_tasks import cut

INTEL_TRUTH = "intel_one-by-one-person-detection.mp4"


def run(
    service: str, common: dict[str, Any], url: str = str(INTEL)
) -> tuple[Pipeline, list[Report]]:
    reports: list[Report] = []
    job = StreamJob(
        task_id="a" * 32, project_id="p" * 32, service_name=service, url=url, live=False,
        common=common,
    )  # fmt: skip
    pipeline = Pipeline(job, reports.append)
    pipeline.run()
    return pipeline, reports


def alarms(reports: list[Report]) -> list[dict[str, Any]]:
    return [r.alarm for r in reports if r.kind == "alarm" and r.alarm is not None]


@pytest.fixture(scope="module")
def intrusion() -> tuple[Pipeline, list[Report]]:
    if not INTEL.is_file():
        pytest.skip(f"shared people evaluation clip not found at {INTEL}")
    common = {
        "target_roi": intel_roi(), "line_detection_sw": 1, "region_detection_sw": 1,
        "render_result_sw": 1, "render_roi_sw": 1,
    }  # fmt: skip
    return run("c-intrusiondetection-cloud", common)


@pytest.fixture(scope="module")
def flow_count() -> list[Report]:
    if not INTEL.is_file():
        pytest.skip(f"shared people evaluation clip not found at {INTEL}")
    common = {"target_roi": intel_roi(), "line_count_interval": 5, "region_count_interval": 10}
    return run("c-flowcount-edge", common)[1]


@needs_people_data
def test_one_region_alarm_per_visit_each_within_a_second_of_the_entry(
    intrusion: tuple[Pipeline, list[Report]],
) -> None:
    pipeline, reports = intrusion
    assert reports[-1].kind == "finished"
    assert 650 <= pipeline.samples <= 720  # 139.4 s at 5 pictures a second
    events = [(a["media_ms"] / 1000, a["data"]["event_set"]) for a in alarms(reports)]
    region = [(t, e[0]) for t, e in events if e[0]["event"] == "region"]
    starts = [s for s, _ in truth(INTEL_TRUTH)["polygons"]["P1_table_zone"]["inside_intervals"]]
    assert len(region) == len(starts)
    for (t, event), start in zip(region, starts, strict=True):
        assert start - 1.0 <= t <= start + 1.0
        assert (event["start_position"], event["end_position"]) == ("out", "in")
        assert event["region_id"] == "table"
        assert event["category"] == 0
    # One person, one track, one detection_id per visit.
    assert len({e["detection_id"] for _, e in region}) == len(starts)


@needs_people_data
def test_one_line_alarm_per_crossing_with_the_side_names(
    intrusion: tuple[Pipeline, list[Report]],
) -> None:
    _, reports = intrusion
    line = [
        (a["media_ms"] / 1000, a["data"]["event_set"][0])
        for a in alarms(reports)
        if a["data"]["event_set"][0]["event"] == "line"
    ]
    crossings = [e["t"] for e in truth(INTEL_TRUTH)["lines"]["L1"]["events"]]
    assert len(line) == len(crossings)
    for (t, event), expected in zip(line, crossings, strict=True):
        assert abs(t - expected) <= 1.0
        assert (event["start_position"], event["end_position"]) == ("bar", "exit")
        assert event["line_id"] == "L1"
        box = event["bounding_box"]
        assert box["w"] > 50
        assert box["h"] > 200
    # Each crossing is the same track that entered the zone before it.
    region_ids = [
        a["data"]["event_set"][0]["detection_id"]
        for a in alarms(reports)
        if a["data"]["event_set"][0]["event"] == "region"
    ]
    assert [e["detection_id"] for _, e in line] == region_ids


@needs_people_data
def test_alarm_images_are_jpegs_and_ids_unique(
    intrusion: tuple[Pipeline, list[Report]],
) -> None:
    raised = alarms(intrusion[1])
    assert len({a["message_id"] for a in raised}) == len(raised)
    assert all(a["event_type"] == 196609 for a in raised)
    assert all(base64.b64decode(a["jpeg_base64"])[:2] == b"\xff\xd8" for a in raised)


@needs_people_data
def test_flow_count_messages_add_up_to_the_truth(flow_count: list[Report]) -> None:
    assert flow_count[-1].kind == "finished"
    messages = alarms(flow_count)
    lines = [m for m in messages if m["event_type"] == LINE_COUNT_EVENT_TYPE]
    regions = [m for m in messages if m["event_type"] == REGION_COUNT_EVENT_TYPE]
    # 139.4 s: a line count every 5 s and a region count every 10 s, from the first picture,
    # then the line counts of the last 4.4 s, flushed at the end of the file.
    assert len(lines) == 28
    assert len(regions) == 13
    assert all(m["data"]["interval"] == 5 for m in lines[:-1])
    assert lines[-1]["data"]["interval"] == pytest.approx(4.4, abs=0.25)
    assert all(m["jpeg_base64"] == "" for m in messages)  # periodic reports carry no image
    entries = [m["data"]["event_set"][0] for m in lines]
    assert {(e["line_id"], e["side1_name"], e["side2_name"]) for e in entries} == {
        ("L1", "bar", "exit")
    }
    counts = truth(INTEL_TRUTH)["lines"]["L1"]["counts"]
    assert sum(e["side1_count"] for e in entries) == counts["L->R"] == 6
    assert sum(e["side2_count"] for e in entries) == counts["R->L"] == 0
    # Region counts: at most one person, and someone at the table in most reports
    # (the zone is occupied for about 100 of the 139 s).
    inside = [m["data"]["event_set"][0]["count"] for m in regions]
    assert max(inside) == 1
    assert sum(inside) >= 7


def test_a_missing_model_fails_the_task_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "gone.onnx"))
    pipeline, reports = run("c-flowcount-cloud", {}, url=str(tmp_path / "never-opened.mp4"))
    assert [r.kind for r in reports] == ["failed"]
    assert reports[0].code == ALGORITHM_UNAVAILABLE
    assert "gone.onnx cannot be read" in (reports[0].message or "")
    assert pipeline.samples == 0


@needs_people_data
def test_a_file_ending_inside_an_interval_reports_it_and_a_live_stream_does_not(
    tmp_path: Path,
) -> None:
    """The first 24 s of the Intel clip, counted every 15 s: the crossing at 19.0 s lies in
    the interval the file ends in. A file flushes that interval with its real length; the
    same pictures read as a live stream (which "ends" only by disconnecting) do not."""
    clip = cut(INTEL, tmp_path / "intel-24s.mp4", 24.0)
    common = {"target_roi": intel_roi(), "line_count_interval": 15, "region_detection_sw": 0}
    _, reports = run("c-flowcount-cloud", common, url=str(clip))
    lines = [m for m in alarms(reports) if m["event_type"] == LINE_COUNT_EVENT_TYPE]
    counts = [(m["data"]["interval"], m["data"]["event_set"][0]["side1_count"]) for m in lines]
    assert counts[0] == (15, 0)
    assert len(counts) == 2
    assert counts[1][1] == 1
    assert counts[1][0] == pytest.approx(9.0, abs=0.25)
    assert len({m["message_id"] for m in lines}) == 2
    assert reports[-1].kind == "finished"

    live: list[Report] = []
    job = StreamJob(
        task_id="b" * 32, project_id="p" * 32, service_name="c-flowcount-cloud",
        url=str(clip), live=True, common=common,
    )  # fmt: skip
    pipeline = Pipeline(job, live.append)

    def stop_at_disconnect(report: Report) -> None:
        live.append(report)
        if report.kind == "state" and report.state == "abnormal":
            pipeline.stop()

    pipeline.emit = stop_at_disconnect
    pipeline.run()
    assert any(r.kind == "state" and r.state == "abnormal" for r in live)
    live_lines = [m for m in alarms(live) if m["event_type"] == LINE_COUNT_EVENT_TYPE]
    assert [m["data"]["interval"] for m in live_lines] == [15]
    assert live_lines[0]["data"]["event_set"][0]["side1_count"] == 0
