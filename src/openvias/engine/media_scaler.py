"""FFmpeg's scaler without AVX2 gathers where they are slow: the same pixels, faster.

Every sample is scaled down to the detector's analysis size by swscale (area filter). With
AVX2, swscale's horizontal scaler loads its source pixels with ``vpgatherdd`` unless
libavutil marks the CPU's gathers as slow (``AV_CPU_FLAG_SLOW_GATHER``), in which case it
takes its SSSE3 scaler. Both give the same pixels (FFmpeg checks every SIMD scaler against
its C reference, and ``tests/engine/test_media_scaler.py`` checks it here); their speed
depends on the CPU and the hypervisor. On the 2-core AMD EPYC (family 0x1A) machine the
benchmarks run on, FFmpeg does not mark the gathers slow, yet the gather scaler takes
0.62 ms per 720p picture (the largest cost of a quiet sample after decoding) and the SSSE3
one 0.27 ms; at 1080p, 1.1 against 0.74 ms.

So a process measures both once, on a synthetic picture, before its first scaler is built
(:func:`choose_scaler`, called by the sampler), and keeps the SSSE3 scaler when it is
clearly faster. The flag is process-wide and read when a scaling context is built; H.264
key pictures decode to the same pixels at the same speed with it.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Literal

import av.video.reformatter as reformatter_module
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

log = logging.getLogger(__name__)
_CHOOSING = threading.Lock()

#: libavutil/cpu.h
AV_CPU_FLAG_AVX2: int = 0x8000
AV_CPU_FLAG_SLOW_GATHER: int = 0x2000000
#: ``av_force_cpu_flags(-1)``: detect the CPU's flags again.
_DETECT: int = -1

#: The measurement: a 720p picture to the detectors' 320-pixel analysis size.
_SOURCE_SIZE = (1280, 720)
_TARGET_SIZE = (320, 180)
_TRIALS = 7
_PICTURES = 4
#: Keep the SSSE3 scaler only when it is at least this much faster (best of the trials).
_MARGIN = 0.9


@dataclass(frozen=True, slots=True)
class ScalerChoice:
    """What :func:`choose_scaler` found: the scaler kept and the two timings (seconds per
    720p picture, best of the trials; None when not measured)."""

    #: "gather" (FFmpeg's own choice), "no-gather", or "ffmpeg" (nothing to measure)
    scaler: Literal["gather", "no-gather", "ffmpeg"]
    gather_seconds: float | None = None
    no_gather_seconds: float | None = None


def libavutil() -> ctypes.CDLL | None:
    """PyAV's libavutil: the one its scaler reads the CPU flags from (OpenCV's wheel brings
    another copy into the process, which must not be the one changed)."""
    try:
        # dlsym on PyAV's reformatter module finds the symbol in the libraries it links.
        library = ctypes.CDLL(reformatter_module.__file__)
        library.av_get_cpu_flags.restype = ctypes.c_int
        library.av_force_cpu_flags.restype = None
    except (OSError, AttributeError, TypeError):
        return None
    library.av_get_cpu_flags.argtypes = []
    library.av_force_cpu_flags.argtypes = [ctypes.c_int]
    return library


def choose_scaler() -> ScalerChoice:
    """Measures both horizontal scalers once per process and keeps the faster (under a
    lock: the flags are global, and a server opens readers from several threads)."""
    with _CHOOSING:
        return _choose_once()


@functools.cache
def _choose_once() -> ScalerChoice:
    library = libavutil()
    if library is None:
        return ScalerChoice("ffmpeg")
    flags = library.av_get_cpu_flags()
    if not flags & AV_CPU_FLAG_AVX2 or flags & AV_CPU_FLAG_SLOW_GATHER:
        return ScalerChoice("ffmpeg")  # no gather scaler to avoid
    # Pictures that do not fit the cache together, like the freshly decoded ones of a
    # stream: the gather scaler loses most there.
    pictures = [busy_picture(index) for index in range(_PICTURES)]
    gather = scaling_seconds(pictures)
    library.av_force_cpu_flags(flags | AV_CPU_FLAG_SLOW_GATHER)
    no_gather = scaling_seconds(pictures)
    if no_gather < gather * _MARGIN:
        choice = ScalerChoice("no-gather", gather, no_gather)
    else:
        library.av_force_cpu_flags(_DETECT)
        choice = ScalerChoice("gather", gather, no_gather)
    log.debug(
        "swscale: %.2f ms per 720p picture with AVX2 gathers, %.2f ms without: using %s",
        gather * 1000, no_gather * 1000, choice.scaler,
    )  # fmt: skip
    return choice


def scaling_seconds(pictures: list[VideoFrame], trials: int = _TRIALS) -> float:
    """Seconds to scale one of the pictures to the analysis size (best of ``trials``), with
    the scaler FFmpeg picks for the current CPU flags."""
    reformatter = VideoReformatter()  # a new one: its context is built with today's flags
    width, height = _TARGET_SIZE
    best = float("inf")
    for trial in range(trials + 1):  # the first builds the context
        started = time.perf_counter()
        reformatter.reformat(
            pictures[trial % len(pictures)], width=width, height=height, format="bgr24",
            interpolation="AREA", threads=1,
        )  # fmt: skip
        best = min(best, time.perf_counter() - started)
    return best


def busy_picture(index: int = 0, size: tuple[int, int] = _SOURCE_SIZE) -> VideoFrame:
    """A yuv420p picture of a busy pattern (``index`` shifts it); the scalers' speed does
    not depend on the pixels."""
    width, height = size
    picture = VideoFrame(width, height, "yuv420p")
    pattern = bytes((value * 37 + index * 11) % 256 for value in range(251))
    for plane in picture.planes:
        length = plane.line_size * plane.height
        plane.update((pattern * (length // len(pattern) + 1))[:length])
    return picture
