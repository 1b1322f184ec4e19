"""The shared people/vehicle evaluation clips (``../shared/data/people``), read in place.

Internal material outside the repository: never copied; tests skip when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openvias.algorithms.base import Frame

PEOPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "people"
INTEL = PEOPLE / "intel_one-by-one-person-detection.mp4"
#: The Intel clip's ground truth, as in ``groundtruth.json``.
INTEL_LINE = ((600, 0), (600, 432))
INTEL_ZONE = ((380, 330), (580, 330), (580, 432), (380, 432))

needs_people_data = pytest.mark.skipif(
    not INTEL.is_file(), reason=f"shared people evaluation clips not found at {PEOPLE}"
)


def truth(clip: str) -> dict[str, Any]:
    clips: dict[str, Any] = json.loads((PEOPLE / "groundtruth.json").read_text())["clips"]
    return dict(clips[clip])


def intel_roi() -> str:
    return json.dumps(
        {
            "lines": [
                {
                    "data": [list(p) for p in INTEL_LINE],
                    "name": "L1",
                    "properties": {"side1_name": "bar", "side2_name": "exit"},
                }
            ],
            "polygons": [{"data": [list(p) for p in INTEL_ZONE], "name": "table"}],
        }
    )


def frame_at(path: Path, seconds: float) -> Frame:
    """The first decoded picture at or after ``seconds`` (BGR)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time + 1e-6 >= seconds:
                picture: Frame = frame.to_ndarray(format="bgr24")
                return picture
    raise ValueError(f"{path} is shorter than {seconds} s")
