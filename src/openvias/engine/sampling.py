"""From demuxed packets to :class:`Sample` bursts, decoding as little as the stream allows.

Sampling instants lie on the grid ``start_at + k * interval`` (stream seconds). A sample is
the first picture at or after an instant plus the ``burst - 1`` pictures after it, the same
pictures ``bursts()`` in ``benchmarks/fire_accuracy.py`` takes with a full decode.

Two decoding modes (:attr:`BurstSampler.mode`):

``"full"``
    Every packet is decoded (``skip_frame="DEFAULT"``); used until the key-frame cadence is
    known and whenever key frames are sparser than the interval.
``"keyframe"``
    Used while the last key frames came at most ``interval`` seconds apart (5 % slack, so
    29.97 fps cameras with 30-frame GOPs qualify). An instant is served by the key frame
    nearest to it (at most half a GOP early or late; where key frames lie on the sampling
    grid, the very pictures of a full decode). At that key-frame *packet* decoding
    switches to ``"DEFAULT"`` before the packet goes in, so the key picture and the
    pictures after it decode with all their references; once the burst is complete it
    switches back to skipping. The decoder still parses every packet, except in a local
    file without B-frames, whose demuxer hands out only key-frame packets between bursts.

Between bursts the decoder skips *everything* (``skip_frame="ALL"``), not just non-key
pictures (``"NONKEY"``): a burst starts at a key frame, which references nothing before
it, so no skipped picture is ever needed, while ``"NONKEY"`` would still reconstruct every
key picture that serves no instant (4 of 5 with 0.5 s GOPs sampled every 2 s). Measured
with x264 (3 B-frames, pyramid, closed GOPs as x264 and cameras write them), MPEG-4 part 2,
WMV2, MPEG-1/2: the burst pictures are bit-identical to a full decode either way
(``tests/engine/test_media_files.py``), so switching mid-stream is reliable in both
directions. Decoders that ignore ``skip_frame`` simply decode more.

A mode change is applied only at a key-frame packet, for the same reason (full decoding
must not start mid-GOP); a sample that falls into a key-frame gap that turned out longer
than the interval is taken at the next key frame.

Only pictures that go into a sample are converted to BGR arrays (the conversion costs
about 40 % of a 1080p decode).

**Bursts on demand.** With ``pictures_after`` (the algorithm's
:class:`~openvias.algorithms.base.BurstOnDemand`), the sampler asks, once the key picture
is converted, how many pictures after it the sample needs; with none, the sample is
emitted at once and, in key-frame mode, the decoder goes back to skipping everything
before the next picture is decoded, so a quiet camera costs one decoded picture per sample.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Final, cast

import av
import numpy as np
from av.packet import Packet
from av.stream import Discard
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream

from openvias.algorithms.base import Frame, Sample
from openvias.engine.media_scaler import choose_scaler

#: How many pictures after the key picture a sample needs, asked per sample (see
#: :class:`~openvias.algorithms.base.BurstOnDemand`).
PicturesAfter = Callable[[Frame, float], int]

KEYFRAME: Final = "keyframe"
FULL: Final = "full"

_BETWEEN_BURSTS: Final = "ALL"
_NO_SAMPLES: Final[Sequence[Sample]] = ()
_EPS: Final = 1e-6
_CADENCE_SLACK: Final = 0.05
_CADENCE_WINDOW: Final = 3
#: Read times kept for finding when a decoded picture's packet came in (decoders hold back
#: a few pictures for B-frame reordering, never this many).
_READ_TIMES: Final = 32


class KeyframeCadence:
    """Whether the last few key frames came at most ``interval`` seconds apart. It is read
    only at key frames (modes change there), so a gap is known once it has ended: the
    packets in between need no bookkeeping."""

    def __init__(self, interval: float, known_gaps: Sequence[float] = ()) -> None:
        self._limit = interval * (1 + _CADENCE_SLACK)
        self._gaps: deque[float] = deque(known_gaps, maxlen=_CADENCE_WINDOW)
        self._last_key: float | None = None

    def key(self, t: float) -> None:
        if self._last_key is not None and t > self._last_key:
            self._gaps.append(t - self._last_key)
        self._last_key = t

    @property
    def dense(self) -> bool:
        return bool(self._gaps) and max(self._gaps) <= self._limit

    @property
    def longest_gap(self) -> float:
        return max(self._gaps, default=0.0)


class BurstSampler:
    """Feeds packets of one video stream to its decoder and returns finished samples.

    ``origin`` (stream seconds) becomes time 0 of the samples; ``None`` takes the first
    timed picture's (live sources: FFmpeg's RTSP client gives the very first key frame no
    timestamp at all). ``wait_for_key`` drops packets until the first key frame (a live
    stream joined mid-GOP would otherwise decode into grey smears). ``key_gaps`` are gaps
    between the first key frames, read ahead: known to be short, they let the sampler start
    in key-frame mode instead of decoding the first GOP in full.
    """

    def __init__(
        self,
        codec: VideoCodecContext,
        *,
        interval: float,
        burst: int,
        start_at: float,
        origin: float | None,
        wait_for_key: bool,
        prefer_keyframes: bool = True,
        key_gaps: Sequence[float] = (),
        analysis_side: int | None = None,
        pictures_after: PicturesAfter | None = None,
        demuxed_stream: VideoStream | None = None,
    ) -> None:
        self._codec = codec
        self._demuxed_stream = demuxed_stream
        self._pictures_after = pictures_after
        self._analysis_side = analysis_side
        # One scaler for the stream: a picture's own (frame.reformat) sets up swscale's
        # filters again for every picture, which cost more than the scaling (720p: 2.9 ->
        # 1.1 ms per picture, the same pixels).
        choose_scaler()  # before the first scaler of the process is built
        self._reformatter = VideoReformatter()
        self._key_picture: VideoFrame | None = None
        self._interval = interval
        self._burst_size = burst
        self._wanted = burst  # pictures of the burst being collected
        self._grid_start = start_at
        self._due = start_at
        self._origin = origin
        self._waiting_for_key = wait_for_key
        self._prefer_keyframes = prefer_keyframes
        self._cadence = KeyframeCadence(interval, key_gaps)
        self._pending_key_pts: int | None = None
        self._time_base: Fraction | None = None
        self._time_ratio: tuple[int, int] | None = None
        self._frames: list[Frame] = []
        self._times: list[float] = []
        self._last_time: float | None = None
        self._newest: float | None = None
        # Further back than B-frame reordering ever goes, even at a few pictures a second.
        self._jump = max(2 * interval, 5.0)
        self.mode: str = FULL
        self.frames_decoded = 0
        self.damaged_packets = 0
        self._decode_seconds = 0.0
        self._convert_seconds = 0.0
        self._read_times: deque[tuple[int | None, float]] = deque(maxlen=_READ_TIMES)
        self._burst_read_at = 0.0
        self._sample_read_at = 0.0
        self._skip_between_bursts(False)

    @property
    def decode_seconds(self) -> float:
        """Seconds spent in the decoder so far."""
        return self._decode_seconds

    @property
    def convert_seconds(self) -> float:
        """Seconds spent converting pictures to BGR arrays so far."""
        return self._convert_seconds

    @property
    def sample_read_at(self) -> float:
        """When (``time.perf_counter()``) the packet of the last emitted sample's key
        picture was fed in."""
        return self._sample_read_at

    def feed(self, packet: Packet[VideoStream]) -> Sequence[Sample]:
        pts = packet.pts
        key = packet.is_keyframe
        if self._demuxed_stream is not None and pts != packet.dts:
            self._stop_demuxer_skipping()
        if key or self.mode == FULL:  # the packets whose picture can start a burst
            self._read_times.append((pts, time.perf_counter()))
        if self._time_base is None:
            # The stream's, the same for every packet (PyAV builds a new Fraction for every
            # ``packet.time_base``, and Fraction's numerator is a Python property).
            self._time_base = base = packet.time_base
            if base is not None:
                self._time_ratio = (base.numerator, base.denominator)
        stamp = pts if pts is not None else packet.dts
        seconds = None
        if stamp is not None and self._time_ratio is not None:
            numerator, denominator = self._time_ratio
            seconds = stamp * numerator / denominator  # as packet_seconds() computes it
            self._notice_clock_jump(seconds)
        if self._waiting_for_key and not key:
            return _NO_SAMPLES
        self._waiting_for_key = False
        if seconds is not None and key:
            self._cadence.key(seconds)
            self._at_key_packet(packet, seconds)
        return self._decode(packet)

    def finish(self) -> list[Sample]:
        """Drains the decoder at the end of the stream; a partial burst is still a sample."""
        samples = list(self._decode(None))
        if self._frames:
            samples.append(self._emit())
        return samples

    def _notice_clock_jump(self, seconds: float) -> None:
        """A clock that went back (a restarted encoder behind a live HLS or RTMP server)
        invalidates the key-frame cadence: start over in full mode from the next key frame;
        :meth:`_offer` moves the sampling grid once the pictures show the new clock."""
        if self._newest is not None and seconds < self._newest - self._jump:
            self._cadence = KeyframeCadence(self._interval)
            self._pending_key_pts = None
            self.mode = FULL
            self._skip_between_bursts(False)
            self._waiting_for_key = True
            self._newest = seconds
        else:
            self._newest = seconds if self._newest is None else max(self._newest, seconds)

    def _at_key_packet(self, packet: Packet[VideoStream], seconds: float) -> None:
        if self._frames or self._pending_key_pts is not None:
            return  # never change modes in the middle of a burst
        keyframes_cover = self._prefer_keyframes and self._cadence.dense
        if self.mode == FULL and keyframes_cover:
            self.mode = KEYFRAME
            self._skip_between_bursts(True)
        elif self.mode == KEYFRAME and not keyframes_cover:
            self.mode = FULL
            self._skip_between_bursts(False)
        if self.mode != KEYFRAME or self._origin is None or packet.pts is None:
            return
        # The key frame nearest to the instant serves it: at most half a GOP early or late.
        if seconds - self._origin > self._due - self._cadence.longest_gap / 2:
            self._pending_key_pts = packet.pts
            self._skip_between_bursts(False)

    def _skip_between_bursts(self, skip: bool) -> None:
        """Between bursts the decoder skips every picture, and the demuxer of a local file
        (``demuxed_stream``) every packet but key frames', which it then need not read at
        all (the MP4 demuxer honours it; one that does not hands out everything as before).
        On a quiet 720p file the pipeline's time outside decoding, converting and detecting
        went from ~0.49 to ~0.39 ms per sample. Both resume at the key-frame packet that
        starts a burst."""
        self._codec.skip_frame = _BETWEEN_BURSTS if skip else "DEFAULT"
        if self._demuxed_stream is not None:
            self._demuxed_stream.discard = Discard.nonkey if skip else Discard.default

    def _stop_demuxer_skipping(self) -> None:
        """A packet shown at another time than it is decoded (B-frames): the MP4 demuxer
        gives wrong presentation times after packets it skipped in such a stream, so its
        packets all go through from here on (the decoder still skips them)."""
        stream, self._demuxed_stream = self._demuxed_stream, None
        if stream is not None:
            stream.discard = Discard.default

    def _decode(self, packet: Packet[VideoStream] | None) -> Sequence[Sample]:
        started = time.perf_counter()
        try:
            frames = self._codec.decode(packet)
        except av.FFmpegError:
            self.damaged_packets += 1
            return _NO_SAMPLES
        finally:
            self._decode_seconds += time.perf_counter() - started
        if not frames:  # every packet between bursts
            return _NO_SAMPLES
        samples: list[Sample] = []
        for frame in frames:
            self.frames_decoded += 1
            sample = self._offer(frame)
            if sample is not None:
                samples.append(sample)
        return samples

    def _offer(self, frame: VideoFrame) -> Sample | None:
        t = self._frame_time(frame)
        if t is None:
            return None
        if self._last_time is not None and t < self._last_time - self._jump:
            self._due = self._grid_start = t  # the clock went back: restart the grid here
            self._frames, self._times = [], []
        self._last_time = t
        if self._frames:
            if t <= self._times[-1]:
                return None
            if not self._append(frame, t):
                return self._emit()
        elif self._starts_burst(frame, t):
            self._append(frame, t)
            self._due = self._next_due(t)
            self._wanted = self._burst_wanted(t)
        else:
            return None
        return self._emit() if len(self._frames) >= self._wanted else None

    def _burst_wanted(self, t: float) -> int:
        if self._pictures_after is None or self._burst_size == 1:
            return self._burst_size
        after = self._pictures_after(self._frames[0], t)
        return 1 + min(max(after, 0), self._burst_size - 1)

    def _starts_burst(self, frame: VideoFrame, t: float) -> bool:
        if self._pending_key_pts is not None:
            return frame.pts is not None and frame.pts >= self._pending_key_pts
        return self.mode == FULL and t + _EPS >= self._due

    def _append(self, frame: VideoFrame, t: float) -> bool:
        started = time.perf_counter()
        picture = self._convert(frame)
        self._convert_seconds += time.perf_counter() - started
        if self._frames and picture.shape != self._frames[0].shape:
            return False  # the resolution changed inside the burst
        if not self._frames:
            self._key_picture = frame
            self._burst_read_at = self._read_time(frame.pts)
        self._frames.append(np.ascontiguousarray(picture))
        self._times.append(t)
        return True

    def _convert(self, frame: VideoFrame) -> Frame:
        """BGR pixels, scaled down to ``analysis_side`` while converting (swscale's area
        filter: a fraction of the cost of converting at full size and resizing after)."""
        size = analysis_size(frame.width, frame.height, self._analysis_side)
        if size is None:
            # The stub's union covers every pixel format; bgr24 is always uint8.
            return cast(Frame, frame.to_ndarray(format="bgr24"))
        # One thread: swscale's default slice threads (one per core) cost more CPU than
        # they save on a 320-px picture, and a stream process waits for them to be
        # scheduled on a busy node (the same pixels either way).
        small = self._reformatter.reformat(
            frame, width=size[0], height=size[1], format="bgr24", interpolation="AREA", threads=1
        )
        return cast(Frame, small.to_ndarray())

    def _read_time(self, pts: int | None) -> float:
        """When the packet of the picture ``pts`` was fed (the latest packet's, if unknown)."""
        if pts is not None:
            for packet_pts, read_at in reversed(self._read_times):
                if packet_pts == pts:
                    return read_at
        return self._read_times[-1][1] if self._read_times else time.perf_counter()

    def _emit(self) -> Sample:
        key = self._key_picture
        scaled = key is not None and analysis_size(key.width, key.height, self._analysis_side)
        sample = Sample(
            frames=tuple(self._frames),
            timestamps=tuple(self._times),
            source_size=(key.width, key.height) if key is not None and scaled else None,
            full_key=_full_picture(key) if key is not None and scaled else None,
        )
        self._frames, self._times = [], []
        self._key_picture = None
        self._sample_read_at = self._burst_read_at
        if self._pending_key_pts is not None:
            self._pending_key_pts = None
            self._skip_between_bursts(True)
        return sample

    def _next_due(self, t: float) -> float:
        """The first instant after the one just served (a key frame may serve it early)."""
        served = max(t, self._due)
        steps = math.floor((served - self._grid_start) / self._interval + _EPS) + 1
        return self._grid_start + max(steps, 1) * self._interval

    def _frame_time(self, frame: VideoFrame) -> float | None:
        seconds = frame.time
        if (seconds is None or math.isnan(seconds)) and frame.pts is not None and self._time_base:
            # Pictures drained from the decoder at the end of a file carry no time base of
            # their own (their time is NaN); without this the last pictures of every file
            # were never sampled.
            seconds = float(frame.pts * self._time_base)
        if seconds is None:
            return None
        if self._origin is None:
            self._origin = float(seconds)
        return float(seconds) - self._origin


def packet_seconds(packet: Packet[VideoStream], base: Fraction | None = None) -> float | None:
    """The packet's presentation time (or decoding time) in stream seconds; ``base``, the
    stream's time base when known (PyAV builds a new ``Fraction`` for every
    ``packet.time_base``: most of the cost of this function)."""
    stamp = packet.pts if packet.pts is not None else packet.dts
    if stamp is None:
        return None
    if base is None:
        base = packet.time_base
    # Integer arithmetic, correctly rounded like float(stamp * base), without building a
    # Fraction for every packet (a third of the per-packet bookkeeping).
    return stamp * base.numerator / base.denominator


def analysis_size(width: int, height: int, side: int | None) -> tuple[int, int] | None:
    """The size a picture is converted to for an algorithm analysing at ``side`` pixels on
    its longer side (the rounding of the detectors' own downscale); None = keep it."""
    if side is None or max(width, height) <= side:
        return None
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _full_picture(picture: VideoFrame) -> Callable[[], Frame]:
    def load() -> Frame:
        return cast(Frame, picture.to_ndarray(format="bgr24"))

    return load
