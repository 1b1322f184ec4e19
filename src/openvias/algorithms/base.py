"""The contract between the engine and an analysis algorithm.

The engine decodes a stream, and every ``video_sampling_interval`` seconds hands the
algorithm one :class:`Sample`. A sample is a *short burst*: the frame at the sampling instant
(``frames[0]``, the key frame) optionally followed by one or two frames decoded right after it
(e.g. 33 ms and 66 ms later at 30 fps). A burst is cheap when the decoder is already decoding
every frame (files, RTSP) and gives an algorithm a flicker cue that 1 frame/s cannot; it is
not required: a single-frame sample is always valid, and algorithms fall back on cues across
samples (and, when nothing changes at all, on single-frame cues).
Decoding the burst is most of the engine's cost on a quiet camera, so an algorithm that
needs it only sometimes says so per sample (:class:`BurstOnDemand`).

``process`` returns *alarms*, not per-frame detections: an algorithm confirms a target over
several samples before it reports it and then stays quiet for that target until it has gone
(one alarm per onset). The engine turns every returned :class:`Detection` list into one alarm
event; an empty list means "nothing to report now". Algorithms whose events carry more than a
state and a box (intrusion), or that report periodically (flow counts), return
:class:`Message` values instead: one output message each, with the ``event_set`` they wrote.

This module imports nothing of openvias but the domain, and nothing from the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

#: One decoded picture: height x width x 3, uint8, OpenCV's BGR channel order.
Frame = NDArray[np.uint8]

#: VIAS ``state`` values of the smoke-and-fire service (event_type 393216).
STATE_FIRE = 1
STATE_SMOKE = 2


class AlgorithmUnavailable(Exception):
    """The algorithm cannot start here (e.g. its model file is missing or corrupt).

    Raised by a plugin's factory, i.e. at task start; the engine fails the task with the
    message instead of retrying it.
    """


@dataclass(frozen=True, slots=True)
class Sample:
    """One sampling instant: a burst of 1-3 closely spaced frames of the same size.

    ``timestamps`` are stream seconds, one per frame, non-decreasing; ``frames[0]`` is the
    frame at the sampling instant and the one alarm images are rendered on.
    """

    frames: tuple[Frame, ...]
    timestamps: tuple[float, ...]
    #: (width, height) of the source pictures when ``frames`` were delivered downscaled
    #: (the engine scales while converting, far cheaper than resizing afterwards); None
    #: when the frames are at full resolution. Detections are always in source pixels.
    source_size: tuple[int, int] | None = None
    #: Loads the key frame at source resolution (for the alarm image), when downscaled.
    full_key: Callable[[], Frame] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.frames:
            raise ValueError("a sample needs at least one frame")
        if len(self.frames) != len(self.timestamps):
            raise ValueError("a sample needs exactly one timestamp per frame")
        shape = self.frames[0].shape
        if len(shape) != 3 or shape[2] != 3:
            raise ValueError(f"frames must be H x W x 3 BGR arrays, got shape {shape}")
        for frame in self.frames:
            if frame.shape != shape or frame.dtype != np.uint8:
                raise ValueError("all frames of a sample must be uint8 and of the same shape")
        if any(b < a for a, b in zip(self.timestamps, self.timestamps[1:], strict=False)):
            raise ValueError("timestamps must not decrease")

    @classmethod
    def single(cls, frame: Frame, timestamp: float) -> Sample:
        return cls(frames=(frame,), timestamps=(timestamp,))

    @property
    def key(self) -> Frame:
        """The frame at the sampling instant."""
        return self.frames[0]

    @property
    def timestamp(self) -> float:
        return self.timestamps[0]

    @property
    def width(self) -> int:
        """Source width in pixels (the frames may be smaller, see ``source_size``)."""
        return self.source_size[0] if self.source_size else int(self.frames[0].shape[1])

    @property
    def height(self) -> int:
        return self.source_size[1] if self.source_size else int(self.frames[0].shape[0])

    def full_resolution_key(self) -> Frame:
        """The key frame at source resolution: what alarm images are rendered on."""
        return self.full_key() if self.full_key is not None else self.frames[0]


@dataclass(frozen=True, slots=True)
class Detection:
    """One target of an alarm: a VIAS ``state`` and a box in key-frame pixels.

    (x, y) is the top-left corner, origin top-left of the full-resolution frame; ``score``
    is the algorithm's confidence in [0, 1].
    """

    state: int
    x: int
    y: int
    w: int
    h: int
    score: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True, slots=True)
class Mark:
    """A labelled box to draw on a message's image (e.g. a track and its id), source pixels."""

    x: int
    y: int
    w: int
    h: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """One output message whose ``data`` the algorithm writes itself.

    For services whose events are richer than ``state`` + box (intrusion: positions,
    category, detection id) or that report periodically (flow counts). ``event_set`` and
    ``data`` (extra keys of the envelope's ``data`` next to ``event_set``, e.g.
    ``interval``) are JSON values; ``event_type`` None = the service's alarm event type;
    ``marks`` are drawn on the image when ``render_result_sw`` is on; ``image`` False =
    no image at all (periodic reports: ``image_base64`` is then empty).
    """

    event_set: tuple[dict[str, Any], ...]
    event_type: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    marks: tuple[Mark, ...] = ()
    image: bool = True


@runtime_checkable
class Algorithm(Protocol):
    """An analysis algorithm: one instance per video stream, called from one thread.

    - ``process(sample)`` is called once per sample, in stream order. It returns the targets
      of an alarm that starts at this sample (one alarm), or :class:`Message` values (one
      output message each), or ``[]``. It must not keep references to the
      sample's frames beyond what it needs (it may keep downscaled copies).
    - ``reset()`` forgets all history (background, confirmation, cooldown); the engine calls
      it when the stream restarts or jumps (reconnect, seek, resolution change), so that
      stale history never confirms a target.
    - Exceptions are bugs: the engine logs them, resets the algorithm and carries on.
    """

    def reset(self) -> None: ...

    def process(self, sample: Sample) -> list[Detection] | list[Message]: ...


@runtime_checkable
class BurstOnDemand(Protocol):
    """An algorithm that decides per sample, from the key frame alone, whether it needs the
    pictures after it (e.g. smoke and fire: only when the key frame has fire-coloured
    regions). ``pictures_after(key, timestamp)`` gets the key frame as the sample will
    carry it (same array, at the analysis size) and returns how many of the following
    pictures it wants, 0 for none; the engine decodes and converts at most its burst
    size - 1 of them, and the sample then carries ``1 + n`` frames. Algorithms without it
    get the whole burst at every sample."""

    def pictures_after(self, key: Frame, timestamp: float) -> int: ...


@runtime_checkable
class Finishing(Protocol):
    """An algorithm that holds something back until the end of a file (e.g. the counts of
    a reporting interval the file ended in). The engine calls ``finish(end_s)`` once when a
    file (never a live stream) has been read to its end, ``end_s`` being the file's end on
    the samples' clock; the messages it returns are output like ``process``'s, without an
    image."""

    def finish(self, end_s: float) -> list[Message]: ...
