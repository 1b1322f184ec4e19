"""One analysis, start to end: decode samples, run the algorithm, raise alarms.

The same code runs inside a stream process of the engine and inside ``openvias analyze``.
It reports through a callback (:class:`~openvias.engine.job.Report`), never touches the
database, and ends with a final ``finished`` or ``failed`` report, or when ``stop()`` is
called from another thread.

Live sources never end on their own: when the camera goes away the pipeline reports
``abnormal`` once, forgets the algorithm's history (stale background must not confirm a
target) and reconnects with exponential backoff (1 s doubling to 30 s); the first sample
after a reconnect reports ``running`` again. A file source that cannot be read is retried
a few times when the cause may pass (a network error) and then fails.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from openvias.algorithms.base import (
    Algorithm,
    AlgorithmUnavailable,
    BurstOnDemand,
    Detection,
    Finishing,
    Frame,
    Message,
    Sample,
)
from openvias.algorithms.registry import AlgorithmPlugin, AlgorithmRegistry, build_registry
from openvias.algorithms.render import render_alarm_image, render_message_image
from openvias.domain.alarms import EVENT_TYPES, Alarm, alarm_message_id
from openvias.domain.algorithm_configs import CommonConfig
from openvias.engine.job import Report, StreamCounters, StreamJob
from openvias.engine.media import VIDEO_SOURCE_GUARD, MediaError, MediaReader, MediaSource

log = logging.getLogger(__name__)

#: Task ``error.code`` values the engine sets (openvias codes, ``VIAS.0009xxxx``).
SOURCE_UNREACHABLE = "VIAS.00090501"
SOURCE_NOT_FOUND = "VIAS.00090502"
SOURCE_CORRUPT = "VIAS.00090503"
SOURCE_UNSUPPORTED = "VIAS.00090504"
ANALYSIS_CRASHED = "VIAS.00090505"
NO_ALGORITHM = "VIAS.00090506"
SOURCE_NOT_PULLABLE = "VIAS.00090507"
ALGORITHM_UNAVAILABLE = "VIAS.00090508"

_CODES = {
    "not_found": SOURCE_NOT_FOUND,
    "unreachable": SOURCE_UNREACHABLE,
    "timeout": SOURCE_UNREACHABLE,
    "disconnected": SOURCE_UNREACHABLE,
    "unsupported": SOURCE_UNSUPPORTED,
    "corrupt": SOURCE_CORRUPT,
    "refused": SOURCE_NOT_PULLABLE,
}

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
#: Attempts at a file whose read failed for a reason that may pass (network).
FILE_ATTEMPTS = 3
BURST = 3

#: Opens a source for a job; the last argument is the algorithm's analysis side.
ReaderFactory = Callable[[MediaSource, StreamJob, int | None], MediaReader]


def default_reader(source: MediaSource, job: StreamJob, analysis_side: int | None) -> MediaReader:
    return MediaReader(
        source,
        interval=job.interval,
        burst=job.burst or BURST,
        start_at=job.start_at,
        analysis_side=analysis_side,
        address_guard=None if job.allow_private_targets else VIDEO_SOURCE_GUARD,
    )


def error_code(error: MediaError) -> str:
    return _CODES.get(error.reason, SOURCE_UNREACHABLE)


class Pipeline:
    def __init__(
        self,
        job: StreamJob,
        emit: Callable[[Report], None],
        *,
        registry: AlgorithmRegistry | None = None,
        reader_factory: ReaderFactory = default_reader,
    ) -> None:
        self.job = job
        self.emit = emit
        self.registry = registry or build_registry()
        self.reader_factory = reader_factory
        self._stopped = threading.Event()
        self._reader: MediaReader | None = None
        self._live = job.live
        self._lock = threading.Lock()
        self.samples = 0
        self.alarms = 0
        #: The latest sample's timestamp (s), position (ms) and messages raised on it.
        self._last_sample: tuple[float, int, int] = (0.0, 0, 0)
        #: What this process did so far (sent with every progress report).
        self.counters = StreamCounters(interval_s=job.interval)
        #: The current reader's pictures decoded and decode/convert seconds already counted.
        self._counted: tuple[int, float, float] = (0, 0.0, 0.0)

    def stop(self) -> None:
        """Ask the pipeline to end; interrupts a blocked read. Safe from any thread."""
        self._stopped.set()
        with self._lock:
            reader = self._reader
        if reader is not None:
            reader.close()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def run(self) -> Report:
        """Analyse until the end of a file, a fatal error or ``stop()``; the final report
        (``finished`` or ``failed``) is also emitted."""
        final = self._run()
        self.emit(final)
        return final

    def _run(self) -> Report:
        plugin = self.registry.get(self.job.service_name)
        if plugin is None:
            return Report(
                kind="failed",
                code=NO_ALGORITHM,
                message=f"no algorithm implementation serves {self.job.service_name} here",
            )
        try:
            config = plugin.config_model.model_validate(self.job.common)
        except ValueError as exc:
            return Report(kind="failed", code=NO_ALGORITHM, message=f"bad config: {exc}")
        try:
            algorithm = plugin.create(config)
        except AlgorithmUnavailable as exc:
            return Report(kind="failed", code=ALGORITHM_UNAVAILABLE, message=str(exc))
        source = MediaSource(
            url=self.job.url,
            live=self.job.live,
            rtsp_transport=self.job.rtsp_transport,
            operator_configured=self.job.operator_configured,
        )
        backoff = BACKOFF_FIRST_S
        failures = 0
        while not self.stopped:
            try:
                live = self._read(source, plugin, config, algorithm)
            except MediaError as error:
                if self.stopped:
                    break
                failures += 1
                # A camera stays worth retrying whatever it answers (it may be rebooting);
                # an address the policy refuses does not become allowed by waiting.
                retry = self.job.live or (error.transient and failures < FILE_ATTEMPTS)
                if error.reason == "refused" or not retry:
                    return Report(kind="failed", code=error_code(error), message=error.message)
                if self.job.live:
                    self.emit(
                        Report(
                            kind="state",
                            state="abnormal",
                            code=error_code(error),
                            message=error.message,
                        )
                    )
                algorithm.reset()
                self._stopped.wait(backoff)
                backoff = min(BACKOFF_MAX_S, backoff * 2)
                continue
            if self.stopped:
                break
            if live:  # a live source that "ends" has gone away
                failures += 1
                algorithm.reset()
                self.emit(
                    Report(
                        kind="state",
                        state="abnormal",
                        code=SOURCE_UNREACHABLE,
                        message="the live stream ended",
                    )
                )
                self._stopped.wait(backoff)
                backoff = min(BACKOFF_MAX_S, backoff * 2)
                continue
            return Report(kind="finished")
        return Report(kind="finished", message="stopped")

    def _read(
        self,
        source: MediaSource,
        plugin: AlgorithmPlugin,
        config: CommonConfig,
        algorithm: Algorithm,
    ) -> bool:
        """Read the source until it ends; True when it turned out to be live (a live HLS
        playlist is only known to be live once opened)."""
        job = self.job
        if plugin.sampling_interval is not None:
            job = replace(job, sampling_interval=plugin.sampling_interval(config))
        if plugin.burst is not None:
            job = replace(job, burst=plugin.burst)
        reader = self.reader_factory(source, job, plugin.analysis_side)
        if isinstance(algorithm, BurstOnDemand):
            reader.pictures_after = self._burst_choice(algorithm)
        with self._lock:
            self._reader = reader
        self._counted = (0, 0.0, 0.0)
        self.counters.interval_s = job.interval
        if self.stopped:
            reader.close()
            return source.live
        try:
            with reader:
                self._live = reader.live
                announced = False
                for sample in reader.samples():
                    if self.stopped:
                        break
                    if not announced:
                        duration = reader.duration
                        self.emit(
                            Report(
                                kind="state",
                                state="running",
                                duration_ms=round(duration * 1000) if duration else None,
                            )
                        )
                        announced = True
                    self._count_decoding(reader)
                    self._analyse(sample, config, algorithm, read_at=reader.sample_read_at)
                if announced and not reader.live and not self.stopped:
                    self._finish(algorithm, reader.duration)
                return reader.live
        finally:
            with self._lock:
                self._reader = None

    def _burst_choice(self, algorithm: BurstOnDemand) -> Callable[[Frame, float], int]:
        """The algorithm's per-sample burst choice; when it raises (a bug, logged), the
        sample gets the whole burst and the analysis goes on."""

        def pictures_after(key: Frame, timestamp: float) -> int:
            started = time.perf_counter()
            try:
                return algorithm.pictures_after(key, timestamp)
            except Exception:
                log.exception("algorithm failed to choose a burst on task %s", self.job.task_id)
                return BURST
            finally:
                self.counters.analyse_s += time.perf_counter() - started

        return pictures_after

    def _count_decoding(self, reader: MediaReader) -> None:
        decoded, decode_s, convert_s = self._counted
        counters = self.counters
        counters.decoded += reader.frames_decoded - decoded
        counters.decode_s += reader.decode_seconds - decode_s
        counters.convert_s += reader.convert_seconds - convert_s
        self._counted = (reader.frames_decoded, reader.decode_seconds, reader.convert_seconds)

    def _analyse(
        self, sample: Sample, config: CommonConfig, algorithm: Algorithm, *, read_at: float
    ) -> None:
        self.samples += 1
        started = time.perf_counter()
        try:
            found: list[Detection] | list[Message] = algorithm.process(sample)
        except Exception:
            log.exception("algorithm failed on task %s; resetting it", self.job.task_id)
            algorithm.reset()
            found = []
        self.counters.analyse_s += time.perf_counter() - started
        self.counters.analysed += 1
        # Live streams restart their clocks on every reconnect: their alarms are placed on
        # the wall clock so that ids stay unique within a run.
        wall_ms = time.time_ns() // 1_000_000
        media_ms = wall_ms if self._live else round(sample.timestamp * 1000)
        messages = [m for m in found if isinstance(m, Message)]
        detections = [d for d in found if isinstance(d, Detection)]
        if detections:
            jpeg = render_alarm_image(sample.full_resolution_key(), detections, config)
            event_set = [
                {"state": d.state, "bounding_box": {"x": d.x, "y": d.y, "w": d.w, "h": d.h}}
                for d in detections
            ]
            self._raise(event_set, jpeg, media_ms, wall_ms)
        for seq, message in enumerate(messages):
            jpeg = b""
            if message.image:
                jpeg = render_message_image(sample.full_resolution_key(), message, config)
            self._raise(
                list(message.event_set), jpeg, media_ms, wall_ms, seq=seq,
                event_type=message.event_type, data_extra=message.data,
            )  # fmt: skip
        self._last_sample = (sample.timestamp, media_ms, len(messages) + bool(detections))
        if self._live and read_at > 0:
            self.counters.lag_s = max(0.0, time.perf_counter() - read_at)
        self.emit(Report(kind="progress", position_ms=media_ms, stats=self.counters.to_wire()))

    def _finish(self, algorithm: Algorithm, duration: float | None) -> None:
        """The file was read to its end: output what the algorithm held back."""
        if not isinstance(algorithm, Finishing):
            return
        timestamp, last_ms, raised = self._last_sample
        end_s = max(timestamp, duration or 0.0)
        try:
            messages = algorithm.finish(end_s)
        except Exception:
            log.exception("algorithm failed to finish task %s", self.job.task_id)
            return
        media_ms = round(end_s * 1000)
        # On the last sample's position, the ids continue after the messages raised there.
        first = raised if media_ms == last_ms else 0
        wall_ms = time.time_ns() // 1_000_000
        for seq, message in enumerate(messages, start=first):
            self._raise(
                list(message.event_set), b"", media_ms, wall_ms, seq=seq,
                event_type=message.event_type, data_extra=message.data,
            )  # fmt: skip

    def _raise(
        self,
        event_set: list[dict[str, object]],
        jpeg: bytes,
        media_ms: int,
        wall_ms: int,
        *,
        seq: int = 0,
        event_type: int | None = None,
        data_extra: dict[str, object] | None = None,
    ) -> None:
        job = self.job
        alarm = Alarm(
            message_id=alarm_message_id(job.task_id, job.run, media_ms, seq),
            project_id=job.project_id,
            task_id=job.task_id,
            batch_id=job.batch_id,
            video_source_id=job.video_source_id,
            stream_id=job.stream_id or job.task_id,
            service_name=job.service_name,
            event_type=event_type or EVENT_TYPES.get(job.service_name, 0),
            timestamp=wall_ms // 1000,
            media_ms=media_ms,
            run=job.run,
            event_set=event_set,
            jpeg=jpeg,
            data_extra=dict(data_extra or {}),
        )
        self.alarms += 1
        self.emit(Report(kind="alarm", alarm=alarm_to_wire(alarm)))


def alarm_to_wire(alarm: Alarm) -> dict[str, object]:
    """The alarm as one JSON object (the envelope plus what storing it needs)."""
    return {
        **alarm.envelope(include_image=False),
        "project_id": alarm.project_id,
        "batch_id": alarm.batch_id,
        "video_source_id": alarm.video_source_id,
        "service_name": alarm.service_name,
        "media_ms": alarm.media_ms,
        "run": alarm.run,
        "jpeg_base64": base64.b64encode(alarm.jpeg).decode("ascii"),
    }


def alarm_from_wire(body: dict[str, object]) -> Alarm:
    data = body.get("data")
    event_set = data.get("event_set", []) if isinstance(data, dict) else []
    extra = {k: v for k, v in data.items() if k != "event_set"} if isinstance(data, dict) else {}
    return Alarm(
        message_id=str(body["message_id"]),
        project_id=str(body["project_id"]),
        task_id=str(body["task_id"]),
        batch_id=_optional(body.get("batch_id")),
        video_source_id=_optional(body.get("video_source_id")),
        stream_id=str(body["stream_id"]),
        service_name=str(body["service_name"]),
        event_type=int(str(body["event_type"])),
        timestamp=int(str(body["timestamp"])),
        media_ms=int(str(body["media_ms"])),
        run=int(str(body["run"])),
        event_set=list(event_set),
        jpeg=base64.b64decode(str(body["jpeg_base64"])),
        data_extra=extra,
    )


def _optional(value: object) -> str | None:
    return None if value is None else str(value)
