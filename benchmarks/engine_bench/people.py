"""Live 720p cameras for intrusion detection: the probe of ``people_accuracy.py --live``.

**Clip.** ``huutrinh68_people_movement.mp4`` of the shared people set (1280x720, 182
pictures, a man walks in from the left and crosses the middle of the room), re-encoded as a
camera sends it: 720p30, H.264 with PyAV's libx264 preset ``superfast`` (CABAC, one
reference, no B-frames), a key frame every 30 pictures, VBV-capped at 2 Mbit/s. Cached in
the clips folder. Served looped (6.07 s laps), it raises one line alarm per lap.

**Probe.** ``c-intrusiondetection-cloud`` with the line ``x = 640`` (sides ``left`` and
``right``), line alarms only, boxes rendered, at the default analysis rate (5 pictures a
second, single pictures). The alarms that count are the left→right crossings; their clip
times come from the same clip read as a file by the engine's ``Pipeline``. At 5 pictures
a second a live stream's samples fall on other pictures than the file's, up to 0.2 s later:
that is in the measured lag (the lag of the *alarm* behind the crossing, an upper bound of
the lag of the analysed picture behind live).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from engine_bench.common import LiveProbe
from openvias.engine.job import Report, StreamJob
from openvias.engine.pipeline import Pipeline

SERVICE = "c-intrusiondetection-cloud"
SOURCE_CLIP = "huutrinh68_people_movement.mp4"
FPS = 30
GOP = 30
KBPS = 2000
CLIP_VERSION = 1
ROI = json.dumps(
    {
        "lines": [
            {
                "data": [[640, 0], [640, 720]],
                "name": "L1",
                "properties": {"side1_name": "left", "side2_name": "right"},
            }
        ]
    }
)
COMMON: dict[str, Any] = {
    "target_roi": ROI,
    "line_detection_sw": 1,
    "region_detection_sw": 0,
    "render_result_sw": 1,
}


def is_crossing(event_set: list[dict[str, Any]]) -> bool:
    return any(
        item.get("event") == "line"
        and item.get("start_position") == "left"
        and item.get("end_position") == "right"
        for item in event_set
    )


def make_people_clip(data: Path, folder: Path) -> tuple[Path, float]:
    """The camera-like 720p30 clip (cached) and its lap in seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"people-720p30-v{CLIP_VERSION}.mp4"
    if not target.is_file():
        partial = target.with_suffix(".part.mp4")
        with av.open(str(data / SOURCE_CLIP)) as source, av.open(str(partial), "w") as out:
            stream = out.add_stream("libx264", rate=FPS)
            stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
            stream.codec_context.gop_size = GOP
            stream.options = {
                "preset": "superfast",
                "x264-params": (
                    f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes=0:"
                    f"bitrate={KBPS}:vbv-maxrate={KBPS}:vbv-bufsize={2 * KBPS}"
                ),
            }
            for index, frame in enumerate(source.decode(video=0)):
                picture = frame.reformat(format="yuv420p")
                picture.pts, picture.time_base = index, Fraction(1, FPS)
                out.mux(stream.encode(picture))
            out.mux(stream.encode(None))
        partial.rename(target)
    with av.open(str(target)) as clip:
        frames = sum(1 for packet in clip.demux(video=0) if packet.size)
    return target, frames / FPS


def people_probe(clip: Path, lap_s: float) -> LiveProbe:
    """The probe, with the crossings' clip times found by reading ``clip`` as a file."""
    reports: list[Report] = []
    job = StreamJob(
        task_id="0" * 32, project_id="bench", service_name=SERVICE, url=str(clip),
        live=False, common=dict(COMMON),
    )  # fmt: skip
    Pipeline(job, reports.append).run()
    phases = tuple(
        int(str(report.alarm["media_ms"])) / 1000
        for report in reports
        if report.alarm is not None and is_crossing(_event_set(report.alarm))
    )
    return LiveProbe(SERVICE, COMMON, "720p30", lap_s, phases, is_crossing, commercial=True)


def _event_set(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    data = alarm.get("data")
    return list(data.get("event_set", [])) if isinstance(data, dict) else []
