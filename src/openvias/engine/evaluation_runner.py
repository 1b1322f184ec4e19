"""Running one labelled file through an algorithm, as the engine does, for ``evaluate``.

A video goes through :class:`~openvias.engine.pipeline.Pipeline`, the code path of a task
and of ``openvias analyze``: same reader, sampling, burst, algorithm and alarm messages. A
picture is no task input, so it is handed to the same algorithm as ``STILL_SAMPLES``
identical single-frame samples one second apart (``benchmarks/fire_accuracy.py`` does the
same): nothing changes between them, so only single-frame cues can raise an alarm.

Runs in worker processes: arguments and results are plain picklable values.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import cv2

from openvias.algorithms.base import Detection, Frame, Message, Sample
from openvias.algorithms.registry import build_registry
from openvias.engine.job import Report, StreamJob
from openvias.engine.pipeline import Pipeline

log = logging.getLogger(__name__)

STILL_SAMPLES = 3


@dataclass(frozen=True, slots=True)
class RunAlarm:
    """One alarm message: its position, event type, events and (videos) its JPEG."""

    t: float
    event_type: int
    event_set: list[dict[str, Any]]
    jpeg: bytes = b""


@dataclass(slots=True)
class FileRun:
    name: str
    alarms: list[RunAlarm] = field(default_factory=list)
    duration_s: float = 0.0
    wall_s: float = 0.0
    error: str | None = None


def run_file(
    folder: str, name: str, service: str, common: dict[str, Any], picture: bool
) -> FileRun:
    """Analyse ``folder/name`` with ``service`` and ``common`` (the worker's entry point)."""
    started = time.monotonic()
    path = Path(folder) / name
    try:
        run = run_picture(path, service, common) if picture else run_video(path, service, common)
    except Exception as exc:  # one bad file must not end the evaluation of the others
        log.exception("evaluating %s failed", path)
        run = FileRun(name=name, error=f"{type(exc).__name__}: {exc}")
    run.name = name
    run.wall_s = time.monotonic() - started
    return run


def run_video(path: Path, service: str, common: dict[str, Any]) -> FileRun:
    run = FileRun(name=str(path))
    last_ms = 0

    def collect(report: Report) -> None:
        nonlocal last_ms
        if report.kind == "alarm" and report.alarm is not None:
            body = report.alarm
            data = body.get("data")
            events = data.get("event_set", []) if isinstance(data, dict) else []
            run.alarms.append(
                RunAlarm(
                    t=int(str(body["media_ms"])) / 1000,
                    event_type=int(str(body["event_type"])),
                    event_set=list(events),
                    jpeg=base64.b64decode(str(body.get("jpeg_base64", ""))),
                )
            )
        elif report.kind == "state" and report.duration_ms:
            run.duration_s = report.duration_ms / 1000
        elif report.kind == "progress" and report.position_ms is not None:
            last_ms = max(last_ms, report.position_ms)

    job = StreamJob(
        task_id=uuid.uuid4().hex,
        project_id="evaluate",
        service_name=service,
        url=str(path),
        live=False,
        common=common,
        stream_id=str(path),
        allow_private_targets=True,  # the operator's own files
    )
    final = Pipeline(job, collect).run()
    if final.kind == "failed":
        run.error = final.message or "the analysis failed"
    run.duration_s = max(run.duration_s, last_ms / 1000)
    return run


def run_picture(path: Path, service: str, common: dict[str, Any]) -> FileRun:
    run = FileRun(name=str(path))
    plugin = build_registry().get(service)
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if plugin is None or image is None:
        run.error = f"cannot read {path}" if image is None else f"no algorithm for {service}"
        return run
    algorithm = plugin.create(common)
    frame = cast(Frame, image)
    for i in range(STILL_SAMPLES):
        found = algorithm.process(Sample.single(frame, float(i)))
        detections = [d for d in found if isinstance(d, Detection)]
        if detections:
            events = [_event(d) for d in detections]
            run.alarms.append(RunAlarm(float(i), 0, events))
        for message in (m for m in found if isinstance(m, Message)):
            event_type = message.event_type or 0
            run.alarms.append(RunAlarm(float(i), event_type, list(message.event_set)))
    return run


def _event(d: Detection) -> dict[str, Any]:
    return {"state": d.state, "bounding_box": {"x": d.x, "y": d.y, "w": d.w, "h": d.h}}


def read_frame_at(path: Path, seconds: float) -> Frame | None:
    """The picture of a video at ``seconds`` (the nearest one OpenCV seeks to), or None."""
    capture = cv2.VideoCapture(str(path))
    try:
        capture.set(cv2.CAP_PROP_POS_MSEC, max(0.0, seconds) * 1000)
        ok, frame = capture.read()
        return cast(Frame, frame) if ok else None
    finally:
        capture.release()
