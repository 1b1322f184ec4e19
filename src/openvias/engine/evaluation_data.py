"""Reading a labelled data set folder for ``openvias evaluate``.

A folder with ``dataset.json`` is read as it is (``domain/datasets.py``). A folder laid out
like the internal evaluation material (``labels.csv`` with ``fire/`` and ``nofire/``, and/or
``people/groundtruth.json``) is converted from its labels as they are, with the rules of
``benchmarks/fire_accuracy.py``: a clip in ``fire/`` shows fire from its first frame to its
end, except where a FURG XML beside it gives the first frame with a flame box; a clip in
``nofire/`` is negative; pictures are positive in ``fire/images`` and negative in
``nofire/images``; the people clips keep their ground truth under ``people/``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import av
from defusedxml import ElementTree

from openvias.domain.datasets import FILE_NAME, FORMAT, Dataset, DatasetError, parse_dataset

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def load_dataset(folder: Path) -> Dataset:
    """The data set of ``folder``; DatasetError names what is wrong (file, key, problem)."""
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    manifest = folder / FILE_NAME
    if manifest.is_file():
        dataset = parse_dataset(manifest.read_bytes(), str(manifest))
    else:
        body = converted(folder)
        if body is None:
            raise DatasetError(
                f"{folder}: no {FILE_NAME} (nor labels.csv or people/groundtruth.json to convert)"
            )
        dataset = parse_dataset(json.dumps(body), f"{folder} (converted labels)")
    missing = [name for name in dataset.files() if not (folder / name).is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise DatasetError(f"{manifest}: files named but not in the folder: {shown}")
    return dataset


def converted(folder: Path) -> dict[str, Any] | None:
    """``dataset.json`` content built from the labels the folder has, or None."""
    body: dict[str, Any] = {"format": FORMAT, "description": f"converted from {folder}"}
    labels = folder / "labels.csv"
    if labels.is_file():
        body["smoke_fire"] = smoke_fire_from_labels(folder, labels)
    truth = folder / "people" / "groundtruth.json"
    if truth.is_file():
        clips = json.loads(truth.read_text())["clips"]
        body["people"] = {"clips": {f"people/{name}": clip for name, clip in clips.items()}}
    return body if len(body) > 2 else None


def smoke_fire_from_labels(folder: Path, labels: Path) -> dict[str, Any]:
    with labels.open(newline="") as handle:
        by_file = {row["file"]: row["label"] for row in csv.DictReader(handle)}
    videos: dict[str, Any] = {}
    for sub, positive in (("fire", True), ("nofire", False)):
        for path in sorted((folder / sub).glob("*.mp4")):
            name = f"{sub}/{path.name}"
            label = by_file.get(name, "")
            intervals = []
            if positive:
                xml = path.with_suffix(".xml")
                onset = furg_onset_s(xml, clip_fps(path)) if xml.exists() else 0.0
                kinds = [k for k in ("fire", "smoke") if k in label.split("+")] or ["fire"]
                intervals.append({"start": onset, "end": None, "kinds": kinds})
            videos[name] = {"intervals": intervals, "label": label}
    images: dict[str, str] = {}
    for sub, verdict in (("fire/images", "positive"), ("nofire/images", "negative")):
        if (folder / sub).is_dir():
            for path in sorted((folder / sub).iterdir()):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    images[f"{sub}/{path.name}"] = verdict
    return {"deadline_s": 5.0, "tolerance_s": 0.0, "videos": videos, "images": images}


def furg_onset_s(xml: Path, fps: float) -> float:
    """Time of the first frame that has at least one flame box in a FURG annotation."""
    frames = ElementTree.parse(str(xml)).getroot().find("frames")
    for item in frames if frames is not None else []:
        number = item.find("frameNumber")
        boxes = item.find("annotations")
        if number is not None and boxes is not None and len(boxes) > 0:
            return int((number.text or "0").strip()) / fps
    return 0.0


def clip_fps(path: Path) -> float:
    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate
        return float(rate) if rate else 30.0


def clip_duration_s(path: Path) -> float:
    """The file's length in seconds (0 when the container does not say)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return container.duration / 1_000_000 if container.duration else 0.0
