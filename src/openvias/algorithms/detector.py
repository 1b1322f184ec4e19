"""The object detector any algorithm can use: YOLOX (COCO-80) in ONNX, on the CPU.

The built-in model is the official YOLOX-Nano release (Megvii, Apache-2.0, see ``models/``
and its ``NOTICE``): 416 x 416 input, 3.7 MB, about 15-20 ms per picture on one core. Its
SHA-256 is checked every time it is loaded. ``OPENVIAS_DETECTOR_MODEL`` points at another
ONNX file of the same family (a YOLOX export with its decoding head left out, i.e. input
``[1, 3, H, W]`` float32 raw BGR 0-255 and output ``[1, N, 85]`` = ``cx, cy, w, h`` on the
stride grids, objectness, 80 COCO class scores, sigmoids applied; YOLOX-Tiny/S/M/L/X of the
0.1.1rc0 release qualify); ``OPENVIAS_DETECTOR_MODEL_SHA256``, when set, pins its hash.

A missing, corrupt or foreign model raises :class:`~openvias.algorithms.base.AlgorithmUnavailable`
when the algorithm is created (task start), never in the middle of an analysis.

Preprocessing and decoding follow the release (``demo/ONNXRuntime``): top-left letterbox
with pad value 114, no mean/std; ``xy = (out[:, :2] + grid) * stride``, ``wh =
exp(out[:, 2:4]) * stride`` on strides 8, 16, 32; score = objectness x class score; boxes
divided by the letterbox ratio; NMS per class.

One ONNX Runtime session per stream process with one intra-op thread: the engine runs one
process per stream, so the node's cores are shared out by running streams in parallel, not
by splitting one inference over threads (measured in ``docs/design/people-and-vehicles.md``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, cast

import cv2
import numpy as np
from numpy.typing import NDArray

from openvias.algorithms.base import AlgorithmUnavailable, Frame

if TYPE_CHECKING:
    import onnxruntime

MODEL_ENV = "OPENVIAS_DETECTOR_MODEL"
MODEL_SHA256_ENV = "OPENVIAS_DETECTOR_MODEL_SHA256"
BUILTIN_MODEL = "yolox_nano.onnx"
#: SHA-256 of the official YOLOX 0.1.1rc0 ``yolox_nano.onnx`` (3,659,407 bytes).
BUILTIN_SHA256 = "c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d"

#: COCO class ids of the detector's output that openvias uses.
PERSON = 0
VEHICLES = frozenset({1, 2, 3, 5, 7})  # bicycle, car, motorcycle, bus, truck

STRIDES = (8, 16, 32)
PAD_VALUE = 114


@dataclass(frozen=True, slots=True)
class Box:
    """One detected object in source pixels: corners (x0, y0) top-left, (x1, y1) bottom-right."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    class_id: int

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def builtin_model_path() -> Path:
    return Path(str(files("openvias.algorithms") / "models" / BUILTIN_MODEL))


def configured_model() -> tuple[Path, str | None]:
    """The model file to load and the SHA-256 it must have (None: not pinned)."""
    override = os.environ.get(MODEL_ENV, "").strip()
    if not override:
        return builtin_model_path(), BUILTIN_SHA256
    pinned = os.environ.get(MODEL_SHA256_ENV, "").strip().lower() or None
    return Path(override), pinned


def _read_model(path: Path, sha256: str | None) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AlgorithmUnavailable(
            f"detector model {path} cannot be read ({exc.strerror or exc}); "
            f"set {MODEL_ENV} to a YOLOX ONNX file or reinstall openvias"
        ) from exc
    if sha256 is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise AlgorithmUnavailable(
                f"detector model {path} is corrupt or not the expected file: "
                f"SHA-256 {actual}, expected {sha256}"
            )
    return data


def _session(data: bytes, path: Path, threads: int) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        session = onnxruntime.InferenceSession(
            data, sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        raise AlgorithmUnavailable(
            f"detector model {path} is not a loadable ONNX model: {exc}"
        ) from exc
    inputs, outputs = session.get_inputs(), session.get_outputs()
    shape_in = list(inputs[0].shape) if len(inputs) == 1 else []
    shape_out = list(outputs[0].shape) if outputs else []
    if (
        len(shape_in) != 4
        or shape_in[1] != 3
        or not all(isinstance(v, int) for v in shape_in[2:])
        or len(shape_out) != 3
        or shape_out[-1] != 85
    ):
        raise AlgorithmUnavailable(
            f"detector model {path} is not a YOLOX COCO-80 export: input {shape_in}, "
            f"output {shape_out} (expected [1, 3, H, W] -> [1, N, 85])"
        )
    return session


def _grids(height: int, width: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    grids, strides = [], []
    for stride in STRIDES:
        rows, cols = height // stride, width // stride
        xs, ys = np.meshgrid(np.arange(cols), np.arange(rows))
        grids.append(np.stack((xs, ys), axis=2).reshape(-1, 2))
        strides.append(np.full((rows * cols, 1), stride))
    return (
        np.concatenate(grids).astype(np.float32),
        np.concatenate(strides).astype(np.float32),
    )


class ObjectDetector:
    """A YOLOX detector; one instance per stream (it is not thread-safe)."""

    def __init__(
        self,
        path: Path | None = None,
        sha256: str | None = None,
        *,
        threads: int = 1,
        score_threshold: float = 0.3,
        nms_iou: float = 0.45,
    ) -> None:
        if path is None:
            path, sha256 = configured_model()
        self.path = path
        self._session = _session(_read_model(path, sha256), path, threads)
        model_input = self._session.get_inputs()[0]
        self._input_name = model_input.name
        self.input_height, self.input_width = int(model_input.shape[2]), int(model_input.shape[3])
        self._grid, self._stride = _grids(self.input_height, self.input_width)
        if self._grid.shape[0] != self._session.get_outputs()[0].shape[1]:
            raise AlgorithmUnavailable(
                f"detector model {path}: output rows do not match strides {STRIDES}"
            )
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self._canvas = np.full((self.input_height, self.input_width, 3), PAD_VALUE, np.uint8)

    @property
    def input_side(self) -> int:
        return max(self.input_height, self.input_width)

    def detect(self, frame: Frame, source_size: tuple[int, int] | None = None) -> list[Box]:
        """Objects in ``frame`` (BGR), boxes in ``source_size`` pixels (default: the frame's)."""
        height, width = frame.shape[:2]
        ratio = min(self.input_height / height, self.input_width / width)
        scaled = frame
        if ratio != 1.0:
            size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
            scaled = cast(Frame, cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR))
        canvas = self._canvas
        canvas[...] = PAD_VALUE
        canvas[: scaled.shape[0], : scaled.shape[1]] = scaled
        blob = canvas.transpose(2, 0, 1)[np.newaxis].astype(np.float32)
        output = self._session.run(None, {self._input_name: blob})[0][0]
        scale = ratio
        if source_size is not None:
            scale = ratio * width / source_size[0]
        return self._decode(np.asarray(output, np.float32), scale)

    def _decode(self, output: NDArray[np.float32], scale: float) -> list[Box]:
        class_ids = np.argmax(output[:, 5:], axis=1)
        scores = output[:, 4] * output[np.arange(len(output)), 5 + class_ids]
        keep = scores >= self.score_threshold
        if not np.any(keep):
            return []
        rows, class_ids, scores = output[keep], class_ids[keep], scores[keep]
        xy = (rows[:, :2] + self._grid[keep]) * self._stride[keep]
        wh = np.exp(rows[:, 2:4]) * self._stride[keep]
        corners = np.concatenate((xy - wh / 2, wh), axis=1) / scale
        # NMS per class, with the vehicle classes merged: YOLOX often calls one car both
        # "car" and "truck", and two boxes for one vehicle would make two tracks.
        groups = np.where(np.isin(class_ids, list(VEHICLES)), 2, class_ids)
        chosen = cv2.dnn.NMSBoxesBatched(
            corners.tolist(), scores.tolist(), groups.tolist(), self.score_threshold, self.nms_iou
        )
        return [
            Box(
                x0=float(corners[i, 0]),
                y0=float(corners[i, 1]),
                x1=float(corners[i, 0] + corners[i, 2]),
                y1=float(corners[i, 1] + corners[i, 3]),
                score=float(scores[i]),
                class_id=int(class_ids[i]),
            )
            for i in np.asarray(chosen, dtype=np.int64).reshape(-1)
        ]
