"""Stream processes: start, watch, stop, kill.

One OS process per running stream (``openvias.engine.stream_process``), so that a crash, a
leak or a hang in decoding or in an algorithm costs that stream only. The supervisor knows
nothing of the database: it hands every report line and every exit to a
:class:`StreamHandler` (the engine), which decides what they mean and whether to restart.

- **stop**: close the process's stdin (it stops its pipeline and exits); kill it if it is
  still there after ``stop_grace`` seconds. Total well under 2 s.
- **hang**: a stream reports progress at least once per sample; one that has been silent
  for ``hang_timeout`` seconds (while not reconnecting) is killed and reported as crashed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Protocol

from openvias.engine.job import Report, StreamCounters, StreamJob
from openvias.logs import STREAM_ID, TASK_ID

log = logging.getLogger(__name__)

#: A stream line carries at most one alarm image (a few hundred KiB of base64).
LINE_LIMIT = 64 * 1024 * 1024


class StreamHandler(Protocol):
    async def on_report(self, job: StreamJob, report: Report) -> None: ...

    async def on_exit(self, job: StreamJob, final: Report | None, returncode: int) -> None:
        """``final`` is the process's last finished/failed report; None = it crashed,
        hung or was stopped (``returncode`` tells)."""


@dataclass
class RunningStream:
    job: StreamJob
    process: asyncio.subprocess.Process
    last_report: float = field(default_factory=time.monotonic)
    abnormal: bool = False
    #: Progress reports so far (one per analysed sample) and the last position reached.
    samples: int = 0
    position_ms: int = 0
    #: The process's latest counters (pictures decoded, seconds per stage, lag).
    counters: StreamCounters = field(default_factory=StreamCounters)
    #: ``abnormal`` reports so far: connections lost or attempts that failed.
    reconnects: int = 0
    stopping: bool = False
    final: Report | None = None
    watcher: asyncio.Task[None] | None = None


class Supervisor:
    def __init__(
        self,
        handler: StreamHandler,
        *,
        stop_grace: float = 1.0,
        hang_timeout: float = 60.0,
        python: str = sys.executable,
    ) -> None:
        self.handler = handler
        self.stop_grace = stop_grace
        self.hang_timeout = hang_timeout
        self.python = python
        self.streams: dict[str, RunningStream] = {}

    def running(self) -> set[str]:
        return set(self.streams)

    def job(self, task_id: str) -> StreamJob | None:
        stream = self.streams.get(task_id)
        return stream.job if stream else None

    async def start(self, job: StreamJob) -> None:
        if job.task_id in self.streams:
            raise RuntimeError(f"task {job.task_id} already runs")
        process = await asyncio.create_subprocess_exec(
            self.python,
            "-m",
            "openvias.engine.stream_process",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
            start_new_session=True,  # a Ctrl-C at the terminal goes to the server only
        )
        assert process.stdin is not None
        process.stdin.write(job.to_json().encode() + b"\n")
        stream = RunningStream(job=job, process=process)
        self.streams[job.task_id] = stream
        stream.watcher = asyncio.create_task(self._watch(stream), name=f"stream-{job.task_id}")

    async def stop(self, task_id: str) -> None:
        """Stop one stream and wait until its process is gone."""
        stream = self.streams.get(task_id)
        if stream is None:
            return
        stream.stopping = True
        process = stream.process
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), self.stop_grace)
        except TimeoutError:
            _kill(process)
        if stream.watcher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await stream.watcher

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(task_id) for task_id in list(self.streams)))

    def check_hangs(self) -> None:
        """Kill streams that went silent (their watcher then reports the exit)."""
        now = time.monotonic()
        for stream in self.streams.values():
            limit = max(self.hang_timeout, 4 * stream.job.interval)
            if stream.abnormal or stream.stopping:
                continue
            if now - stream.last_report > limit:
                log.warning(
                    "stream of task %s silent for %.0f s: killing it", stream.job.task_id, limit
                )
                _kill(stream.process)

    async def _watch(self, stream: RunningStream) -> None:
        # This asyncio task's own context: what it and the handlers log names the stream.
        TASK_ID.set(stream.job.task_id)
        STREAM_ID.set(stream.job.stream_id or None)
        process = stream.process
        assert process.stdout is not None
        try:
            while line := await process.stdout.readline():
                stream.last_report = time.monotonic()
                try:
                    report = Report.from_json(line.decode())
                except (ValueError, TypeError):
                    log.warning("task %s: unreadable report line", stream.job.task_id)
                    continue
                if report.kind in ("finished", "failed"):
                    stream.final = report
                elif report.kind == "state":
                    stream.abnormal = report.state == "abnormal"
                    stream.reconnects += stream.abnormal
                elif report.kind == "progress":
                    stream.samples += 1
                    stream.position_ms = report.position_ms or stream.position_ms
                    if report.stats is not None:
                        stream.counters = StreamCounters.from_wire(report.stats)
                if not stream.stopping:
                    await self._safely(self.handler.on_report(stream.job, report))
        finally:
            returncode = await process.wait()
            self.streams.pop(stream.job.task_id, None)
            if not stream.stopping:
                await self._safely(self.handler.on_exit(stream.job, stream.final, returncode))

    async def _safely(self, call: object) -> None:
        try:
            await call  # type: ignore[misc]
        except Exception:
            log.exception("engine handler failed")


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
