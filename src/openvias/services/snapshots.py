"""Snapshots of video sources (an openvias extension): one JPEG, taken by a child process.

The API never imports the engine, so the picture is taken by ``python -m
openvias.engine.snapshot``, which reads the address the way a task does (file roots, OBS,
the address policy, the demuxer whitelists). This side finds the source in the caller's
project, asks the child (:class:`~openvias.domain.snapshots.SnapshotJob`) and turns its
answer into a :class:`Snapshot` or a VIAS error.

- At most ``snapshot_concurrency`` children run at once and ``snapshot_queue`` more requests
  wait for one; the others are refused at once (429).
- Every request ends within ``snapshot_timeout_seconds`` of its arrival: 429 when it is
  still waiting for a child then, 504 when its child is still at work (the child is
  killed). A child runs with its own temporary folder, removed afterwards, so a download
  it had started does not outlive it.
- An answer is kept ``snapshot_cache_seconds`` per (source, address, ``at``, ``max_side``),
  and a request arriving while the same picture is being taken waits for that one. The
  child runs in its own task, so a caller that goes away neither kills it for the others
  nor leaves it running past the time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.snapshots import SnapshotHeader, SnapshotJob
from openvias.domain.video_sources import PULLABLE_TYPES
from openvias.errors import (
    NotFound,
    OpenViasError,
    SnapshotCrashed,
    TooManyRequests,
    VideoNotFound,
    VideoNotPullable,
    VideoTimedOut,
    VideoUnreachable,
    VideoUnreadable,
    VideoUnsupported,
)
from openvias.settings import Settings
from openvias.store.repositories.video_sources import VideoSourceRepository

log = logging.getLogger(__name__)

#: The engine's task error codes (``engine/pipeline.py``) as API errors.
_ENGINE_ERRORS: dict[str, type[OpenViasError]] = {
    "VIAS.00090501": VideoUnreachable,
    "VIAS.00090502": VideoNotFound,
    "VIAS.00090503": VideoUnreadable,
    "VIAS.00090504": VideoUnsupported,
    "VIAS.00090507": VideoNotPullable,
}
#: Answers kept in memory at most (JPEG bytes), oldest dropped first.
CACHE_BYTES = 32 << 20

_Key = tuple[str, str, float | None, int]


@dataclass(frozen=True, slots=True)
class Snapshot:
    jpeg: bytes
    #: The source's full pixel size (what ``target_roi`` coordinates refer to).
    width: int
    height: int
    #: Stream seconds of a file's picture; None for a live source.
    at: float | None


class SnapshotTaker:
    """The server's snapshot children: admission, time limit and the short cache."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.timeout = settings.snapshot_timeout_seconds
        self._slots = asyncio.Semaphore(settings.snapshot_concurrency)
        self._running = 0
        self._max_running = settings.snapshot_concurrency + settings.snapshot_queue
        self._pending: dict[_Key, asyncio.Task[Snapshot]] = {}
        self._cache: OrderedDict[_Key, tuple[float, Snapshot]] = OrderedDict()
        self._cache_bytes = 0

    async def take(
        self,
        session: AsyncSession,
        project_id: str,
        source_id: str,
        *,
        at: float | None,
        max_side: int,
    ) -> Snapshot:
        source = await VideoSourceRepository(session).get(project_id, source_id)
        if source is None:
            raise NotFound(f"Video source {source_id} does not exist.", param="video_source_id")
        if source.type not in PULLABLE_TYPES:
            raise VideoNotPullable(
                f"Video sources of type {source.type} are stored but not pulled yet."
            )
        key: _Key = (source.id, source.stream_path, at, max_side)
        cached = self._cached(key)
        if cached is not None:
            return cached
        task = self._pending.get(key)
        if task is None:
            if self._running >= self._max_running:
                raise _busy()
            job = SnapshotJob(
                address=source.stream_path,
                at=at,
                max_side=max_side,
                timeout=self.timeout,
                settings=self._child_settings(),
            )
            self._running += 1  # counted at once: the task starts on the next loop turn
            task = asyncio.create_task(self._take(key, job))
            task.add_done_callback(_retrieve)
            self._pending[key] = task
        return await asyncio.shield(task)

    async def _take(self, key: _Key, job: SnapshotJob) -> Snapshot:
        """Within the time limit from the request's arrival, waiting for a slot included."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    await self._slots.acquire()
            except TimeoutError:
                raise _busy() from None
            try:
                # The child's own network timeouts lie past the limit: a silent source
                # ends in this side's 504, never in a race with the child.
                remaining = deadline - loop.time()
                job = replace(job, timeout=remaining + 1.0)
                snapshot = await self._run_child(job, remaining)
            finally:
                self._slots.release()
            self._remember(key, snapshot)
            return snapshot
        finally:
            self._running -= 1
            del self._pending[key]

    async def _run_child(self, job: SnapshotJob, limit: float) -> Snapshot:
        with tempfile.TemporaryDirectory(prefix="openvias-snapshot-") as folder:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "openvias.engine.snapshot",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env={**os.environ, "TMPDIR": folder},
            )
            try:
                output = await asyncio.wait_for(_ask(process, job), limit)
            except TimeoutError:
                raise VideoTimedOut(
                    f"The video source gave no picture within {self.timeout:g} s."
                ) from None
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
                if process.stdin is not None:
                    process.stdin.close()
        return _answer(output, process.returncode)

    def _child_settings(self) -> dict[str, object]:
        """What decides how an address is read, as this server resolved it."""
        settings = self.settings
        return {
            "file_roots": ":".join(str(root) for root in settings.resolved_file_roots),
            "allow_private_targets": settings.allow_private_targets,
            "obs_endpoint": settings.obs_endpoint,
            "obs_region": settings.obs_region,
            "obs_access_key_id": settings.obs_access_key_id,
            "obs_secret_access_key": settings.obs_secret_access_key,
            "log_format": settings.log_format,
        }

    def _cached(self, key: _Key) -> Snapshot | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._forget(key)
            return None
        return entry[1]

    def _remember(self, key: _Key, snapshot: Snapshot) -> None:
        ttl = self.settings.snapshot_cache_seconds
        if ttl <= 0:
            return
        now = time.monotonic()
        for old_key, (expires, _) in list(self._cache.items()):
            if expires < now:
                self._forget(old_key)
        self._forget(key)
        self._cache[key] = (now + ttl, snapshot)
        self._cache_bytes += len(snapshot.jpeg)
        while self._cache_bytes > CACHE_BYTES and self._cache:
            self._forget(next(iter(self._cache)))

    def _forget(self, key: _Key) -> None:
        entry = self._cache.pop(key, None)
        if entry is not None:
            self._cache_bytes -= len(entry[1].jpeg)


async def _ask(process: asyncio.subprocess.Process, job: SnapshotJob) -> bytes:
    """Sends the job and reads the answer, keeping stdin open: the child ends when it sees
    stdin's end, so it never outlives a server that died."""
    assert process.stdin is not None
    assert process.stdout is not None
    with contextlib.suppress(ConnectionError):  # it ended at once: its answer says why
        process.stdin.write(job.to_json().encode() + b"\n")
        await process.stdin.drain()
    output = await process.stdout.read()
    await process.wait()
    return output


def _answer(output: bytes, returncode: int | None) -> Snapshot:
    line, _, jpeg = output.partition(b"\n")
    try:
        header = SnapshotHeader.from_json(line.decode())
    except (ValueError, TypeError):
        log.error("the snapshot process ended without an answer (exit status %s)", returncode)
        raise SnapshotCrashed("The snapshot process ended without a picture.") from None
    if header.code is not None:
        error = _ENGINE_ERRORS.get(header.code, SnapshotCrashed)
        raise error(header.message)
    if len(jpeg) != header.jpeg_bytes or not jpeg:
        log.error("the snapshot process sent %d of %d bytes", len(jpeg), header.jpeg_bytes)
        raise SnapshotCrashed("The snapshot process ended in the middle of its picture.")
    return Snapshot(jpeg, header.width, header.height, header.at)


def _busy() -> TooManyRequests:
    return TooManyRequests(
        "Too many snapshots are being taken at once; try again shortly.", retry_after=2
    )


def _retrieve(task: asyncio.Task[Snapshot]) -> None:
    """Every caller of this picture may have gone away: its error is theirs, not a warning."""
    if not task.cancelled():
        task.exception()
