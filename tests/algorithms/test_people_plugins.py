"""The intrusion and flow-count plugins: registered, sampled at their own rate, rendered."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from openvias.algorithms.base import Mark, Message
from openvias.algorithms.flow_count import FlowCounter
from openvias.algorithms.intrusion import IntrusionDetector
from openvias.algorithms.registry import build_registry
from openvias.algorithms.render import render_message_image
from openvias.domain.algorithm_configs import FlowCountCommon, IntrusionDetectionCommon
from openvias.engine.job import Report, StreamJob
from openvias.engine.media import MediaError, MediaReader, MediaSource
from openvias.engine.pipeline import SOURCE_NOT_FOUND, Pipeline


@pytest.mark.parametrize(
    ("service", "kind"),
    [
        ("c-intrusiondetection-cloud", IntrusionDetector),
        ("c-intrusiondetection-edge", IntrusionDetector),
        ("c-flowcount-cloud", FlowCounter),
        ("c-flowcount-edge", FlowCounter),
    ],
)
def test_the_services_are_served(service: str, kind: type) -> None:
    assert isinstance(build_registry([]).create(service), kind)


@pytest.mark.parametrize("model", [IntrusionDetectionCommon, FlowCountCommon])
def test_the_analysis_rate_is_a_checked_extension_key(
    model: type[IntrusionDetectionCommon] | type[FlowCountCommon],
) -> None:
    assert model().openvias_analysis_fps == 5
    assert model.model_validate({"openvias_analysis_fps": 10}).openvias_analysis_fps == 10
    for bad in (0, 26, "5", 2.5):
        with pytest.raises(ValidationError):
            model.model_validate({"openvias_analysis_fps": bad})


@pytest.mark.parametrize(("common", "interval"), [({}, 0.2), ({"openvias_analysis_fps": 10}, 0.1)])
def test_the_pipeline_samples_single_pictures_at_the_analysis_rate(
    common: dict[str, int], interval: float
) -> None:
    asked: list[tuple[float, int | None, int | None]] = []

    def reader(source: MediaSource, job: StreamJob, side: int | None) -> MediaReader:
        asked.append((job.interval, job.burst, side))
        raise MediaError("not_found", "no such clip", transient=False)

    job = StreamJob(
        task_id="b" * 32, project_id="p" * 32, service_name="c-flowcount-cloud",
        url="/nowhere.mp4", live=False, common={**common, "video_sampling_interval": 3},
    )  # fmt: skip
    reports: list[Report] = []
    Pipeline(job, reports.append, reader_factory=reader).run()
    assert asked == [(pytest.approx(interval), 1, 416)]
    assert reports[-1].code == SOURCE_NOT_FOUND


def test_smoke_and_fire_keeps_its_own_sampling() -> None:
    asked: list[tuple[float, int | None]] = []

    def reader(source: MediaSource, job: StreamJob, side: int | None) -> MediaReader:
        asked.append((job.interval, job.burst))
        raise MediaError("not_found", "no such clip", transient=False)

    job = StreamJob(
        task_id="c" * 32, project_id="p" * 32, service_name="c-smoke-and-fire-cloud",
        url="/nowhere.mp4", live=False, common={"video_sampling_interval": 3},
    )  # fmt: skip
    Pipeline(job, [].append, reader_factory=reader).run()
    assert asked == [(3.0, None)]


def _decode(jpeg: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


def test_message_images_draw_track_boxes_and_the_roi_when_asked() -> None:
    frame = np.full((240, 320, 3), 128, np.uint8)
    roi = '{"lines":[{"data":[[200,0],[200,239]],"name":"L1"}]}'
    message = Message(({"count": 1},), marks=(Mark(20, 30, 100, 150, "#3 person"),))
    plain = _decode(render_message_image(frame, message, FlowCountCommon(target_roi=roi)))
    drawn = _decode(
        render_message_image(
            frame,
            message,
            FlowCountCommon(target_roi=roi, render_result_sw=1, render_roi_sw=1),
        )
    )
    red_edge = drawn[100, 20]
    assert red_edge[2] > 200
    assert red_edge[0] < 60  # box in red
    yellow_line = drawn[120, 200]
    assert yellow_line[1] > 200
    assert yellow_line[0] < 60  # line in yellow
    assert np.abs(plain.astype(int) - 128).max() < 20  # nothing drawn when switched off
