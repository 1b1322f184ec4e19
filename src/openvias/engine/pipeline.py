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

from openvias.algorithms.base import Algorithm, Detection, Sample
from openvias.algorithms.registry import AlgorithmPlugin, AlgorithmRegistry, build_registry
from openvias.algorithms.render import render_alarm_image
from openvias.domain.alarms import EVENT_TYPES, Alarm, alarm_message_id
from openvias.domain.algorithm_configs import CommonConfig
from openvias.engine.job import Report, StreamJob
from openvias.engine.media import MediaError, MediaReader, MediaSource

log = logging.getLogger(__name__)

#: Task ``error.code`` values the engine sets (openvias codes, ``VIAS.0009xxxx``).
SOURCE_UNREACHABLE = "VIAS.00090501"
SOURCE_NOT_FOUND = "VIAS.00090502"
SOURCE_CORRUPT = "VIAS.00090503"
SOURCE_UNSUPPORTED = "VIAS.00090504"
ANALYSIS_CRASHED = "VIAS.00090505"
NO_ALGORITHM = "VIAS.00090506"
SOURCE_NOT_PULLABLE = "VIAS.00090507"

_CODES = {
    "not_found": SOURCE_NOT_FOUND,
    "unreachable": SOURCE_UNREACHABLE,
    "timeout": SOURCE_UNREACHABLE,
    "disconnected": SOURCE_UNREACHABLE,
    "unsupported": SOURCE_UNSUPPORTED,
    "corrupt": SOURCE_CORRUPT,
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
        burst=BURST,
        start_at=job.start_at,
        analysis_side=analysis_side,
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
        algorithm = plugin.create(config)
        source = MediaSource(
            url=self.job.url, live=self.job.live, rtsp_transport=self.job.rtsp_transport
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
                # A camera stays worth retrying whatever it answers (it may be rebooting).
                if not (self.job.live or (error.transient and failures < FILE_ATTEMPTS)):
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
        reader = self.reader_factory(source, self.job, plugin.analysis_side)
        with self._lock:
            self._reader = reader
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
                    self._analyse(sample, config, algorithm)
                return reader.live
        finally:
            with self._lock:
                self._reader = None

    def _analyse(self, sample: Sample, config: CommonConfig, algorithm: Algorithm) -> None:
        self.samples += 1
        try:
            detections = algorithm.process(sample)
        except Exception:
            log.exception("algorithm failed on task %s; resetting it", self.job.task_id)
            algorithm.reset()
            detections = []
        # Live streams restart their clocks on every reconnect: their alarms are placed on
        # the wall clock so that ids stay unique within a run.
        wall_ms = time.time_ns() // 1_000_000
        media_ms = wall_ms if self._live else round(sample.timestamp * 1000)
        if detections:
            self._raise(sample, detections, config, media_ms, wall_ms)
        self.emit(Report(kind="progress", position_ms=media_ms))

    def _raise(
        self,
        sample: Sample,
        detections: list[Detection],
        config: CommonConfig,
        media_ms: int,
        wall_ms: int,
    ) -> None:
        job = self.job
        jpeg = render_alarm_image(sample.full_resolution_key(), detections, config)
        alarm = Alarm(
            message_id=alarm_message_id(job.task_id, job.run, media_ms),
            project_id=job.project_id,
            task_id=job.task_id,
            batch_id=job.batch_id,
            video_source_id=job.video_source_id,
            stream_id=job.stream_id or job.task_id,
            service_name=job.service_name,
            event_type=EVENT_TYPES.get(job.service_name, 0),
            timestamp=wall_ms // 1000,
            media_ms=media_ms,
            run=job.run,
            event_set=[
                {
                    "state": d.state,
                    "bounding_box": {"x": d.x, "y": d.y, "w": d.w, "h": d.h},
                }
                for d in detections
            ],
            jpeg=jpeg,
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
    )


def _optional(value: object) -> str | None:
    return None if value is None else str(value)
