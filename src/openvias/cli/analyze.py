"""``openvias analyze``: the engine's pipeline on one video, without a server.

Alarms (and the periodic counts of counting services) go to stdout, one VIAS envelope (with
``image_base64``) per line, as they are raised, followed by two openvias fields: ``media_ms``
and ``media_time`` (``HH:MM:SS.mmm``), the alarm's position in the video. A progress bar
goes to stderr when stderr is a terminal, and one summary line at the end (samples analysed,
alarms by event type and state, media length, wall time, speed). Exit status: 0 when the
video was analysed to its end (or interrupted with Ctrl-C), 1 when it could not be read, 2
for bad arguments.
"""

from __future__ import annotations

import json
import signal
import sys
import time
import uuid
from collections import Counter
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from openvias.algorithms.registry import build_registry
from openvias.domain.algorithm_configs import describe_validation
from openvias.domain.roi import RoiError, parse_target_roi
from openvias.engine.job import Report, StreamJob
from openvias.engine.locate import NotPullable, resolve_address
from openvias.engine.media import MediaSource
from openvias.engine.pipeline import Pipeline, alarm_from_wire
from openvias.settings import Settings


def _fail(message: str, code: int = 2) -> int:
    typer.echo(f"openvias: error: {message}", err=True)
    return code


def _source(address: str, transport: str) -> MediaSource:
    if address.startswith("obs://"):
        return resolve_address(address, Settings())
    source = MediaSource.from_url(address)
    return MediaSource(url=source.url, live=source.live, rtsp_transport=transport)


def run_analysis(address: str, service: str, common: dict[str, Any], transport: str) -> int:
    registry = build_registry()
    plugin = registry.get(service)
    if plugin is None:
        known = ", ".join(registry.service_names)
        return _fail(f"no algorithm serves {service!r} (available: {known})")
    try:
        plugin.config_model.model_validate(common)
        if str(common.get("target_roi", "")).strip():
            parse_target_roi(str(common["target_roi"]))
    except (ValueError, RoiError) as exc:
        return _fail(f"invalid configuration: {describe_invalid(exc)}")
    try:
        source = _source(address, transport)
    except NotPullable as exc:
        return _fail(str(exc))
    job = StreamJob(
        task_id=uuid.uuid4().hex,
        project_id="local",
        service_name=service,
        url=source.url,
        live=source.live,
        rtsp_transport=source.rtsp_transport,
        common=common,
        stream_id=address,
        # The address comes from the operator's own command line, not from an API user.
        allow_private_targets=True,
    )
    started = time.monotonic()
    with _ProgressSink(enabled=sys.stderr.isatty()) as sink:
        pipeline = Pipeline(job, sink, registry=registry)
        signal.signal(signal.SIGINT, lambda *_: pipeline.stop())
        signal.signal(signal.SIGTERM, lambda *_: pipeline.stop())
        final = pipeline.run()
    if final.kind == "failed":
        return _fail(final.message or "the analysis failed", code=1)
    typer.echo(
        sink.summary(time.monotonic() - started, stopped=final.message == "stopped"), err=True
    )
    return 0


def describe_invalid(error: ValueError | RoiError) -> str:
    """One line naming each wrong key and what is wrong with it (no pydantic URL)."""
    if not isinstance(error, ValidationError):
        return " ".join(str(error).split())
    return describe_validation(error, "config")


def media_time(ms: int) -> str:
    """``HH:MM:SS.mmm`` of a position in the video."""
    seconds, millis = divmod(max(0, ms), 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


class _ProgressSink:
    """Prints alarms to stdout and drives the progress bar from reports."""

    def __init__(self, *, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("analysing"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s" if enabled else ""),
            TextColumn("{task.fields[alarms]} alarms"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=not enabled,
        )
        self.bar = self.progress.add_task("analyse", total=None, alarms=0)
        self.enabled = enabled
        self.alarms = 0
        #: (event_type, state) of every event of every printed message; state None: none.
        self.events: Counter[tuple[int, object]] = Counter()
        self.samples = 0
        self.position_ms = 0
        self.duration_ms: int | None = None

    def __enter__(self) -> _ProgressSink:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def __call__(self, report: Report) -> None:
        if report.kind == "alarm" and report.alarm is not None:
            alarm = alarm_from_wire(report.alarm)
            line = {
                **alarm.envelope(),
                "media_ms": alarm.media_ms,
                "media_time": media_time(alarm.media_ms),
            }
            sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
            sys.stdout.flush()
            self.alarms += 1
            for event in alarm.event_set or [{}]:
                state = event.get("state") if isinstance(event, dict) else None
                self.events[(alarm.event_type, state)] += 1
            self.progress.update(self.bar, alarms=self.alarms)
        elif report.kind == "state" and report.duration_ms:
            self.duration_ms = report.duration_ms
            self.progress.update(self.bar, total=report.duration_ms / 1000)
        elif report.kind == "progress" and report.position_ms is not None:
            self.position_ms = max(self.position_ms, report.position_ms)
            if report.stats is not None:
                self.samples = int(report.stats.get("analysed", self.samples))
            if self.enabled:  # a hidden bar's update still costs a lock and a speed sample
                self.progress.update(self.bar, completed=report.position_ms / 1000)

    def summary(self, wall_s: float, *, stopped: bool) -> str:
        """One line: what was analysed, how fast, and the messages by event type and state."""
        # A file read to its end covers its whole length, past its last sample.
        media_ms = self.position_ms
        if self.duration_ms is not None and not stopped:
            media_ms = max(media_ms, self.duration_ms)
        speed = media_ms / 1000 / wall_s if wall_s > 0 else 0.0
        by_kind = ", ".join(
            f"event_type {event_type}" + ("" if state is None else f" state {state}") + f": {n}"
            for (event_type, state), n in sorted(self.events.items(), key=_event_order)
        )
        return (
            f"openvias: {'stopped after' if stopped else 'analysed'} {self.samples} samples, "
            f"{media_time(media_ms)} of media in {wall_s:.2f} s ({speed:.1f}x real time); "
            f"{self.alarms} message{'' if self.alarms == 1 else 's'}"
            + (f" ({by_kind})" if by_kind else "")
        )


def _event_order(item: tuple[tuple[int, object], int]) -> tuple[int, str]:
    (event_type, state), _ = item
    return event_type, str(state)
