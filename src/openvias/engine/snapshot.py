"""One picture of a video source, taken in a child process of the server.

Started by ``services/snapshots.py`` as ``python -m openvias.engine.snapshot`` (the API
never imports the engine). It reads one :class:`~openvias.domain.snapshots.SnapshotJob`
JSON line on stdin and writes one :class:`~openvias.domain.snapshots.SnapshotHeader` line
on stdout, followed by the JPEG when the header has no error ``code``. Log lines go to
stderr, which is the server's. It ends at once when stdin reaches its end (the server gave
up on the picture or died).

The address is read exactly as a task reads it: :func:`~openvias.engine.locate.resolve_address`
(``OPENVIAS_FILE_ROOTS``, OBS presigning) and a :class:`~openvias.engine.media.MediaReader`
(protocol and demuxer whitelists, the video-source address policy unless
``OPENVIAS_ALLOW_PRIVATE_TARGETS``); a snapshot is its first sample of one picture, scaled
down to ``max_side`` while it is converted. Failures carry the task error codes of
:mod:`openvias.engine.pipeline`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass
from typing import Final

import cv2

from openvias.algorithms.base import Frame, Sample
from openvias.domain.snapshots import DEFAULT_AT, SnapshotHeader, SnapshotJob
from openvias.engine.locate import NotPullable, resolve_address
from openvias.engine.media import VIDEO_SOURCE_GUARD, MediaError, MediaReader, MediaSource
from openvias.engine.media_errors import redact_url
from openvias.engine.pipeline import (
    ANALYSIS_CRASHED,
    SOURCE_CORRUPT,
    SOURCE_NOT_PULLABLE,
    error_code,
)
from openvias.logs import configure_logging
from openvias.settings import Settings

log = logging.getLogger(__name__)

#: A file that ends before ``at`` is pictured at its last picture: the pictures of its
#: last seconds are read and the last one is kept.
TAIL_SECONDS: Final = 2.0
#: Sampling intervals: one sample only, or every picture (for the last one).
_ONE_SAMPLE: Final = 1e9
_EVERY_PICTURE: Final = 0.001
JPEG_QUALITY: Final = 85


class SnapshotFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Picture:
    frame: Frame
    #: The source's full size (``frame`` may be scaled down).
    width: int
    height: int
    #: Stream seconds of a file's picture; None for a live source.
    at: float | None


def take_picture(job: SnapshotJob, settings: Settings) -> Picture:
    """The picture ``job`` asks for; :class:`SnapshotFailed` when there is none."""
    try:
        source = resolve_address(job.address, settings)
    except NotPullable as exc:
        raise SnapshotFailed(SOURCE_NOT_PULLABLE, str(exc)) from None
    try:
        start = DEFAULT_AT if job.at is None else job.at
        picture, reader = _read(source, job, settings, start=start, last=False)
        if picture is None and not reader.live:  # the file ends before ``start``
            if job.at is None or reader.duration is None:
                picture, _ = _read(source, job, settings, start=0.0, last=False)
            else:
                tail = max(0.0, reader.duration - TAIL_SECONDS)
                picture, _ = _read(source, job, settings, start=tail, last=True)
    except MediaError as error:
        raise SnapshotFailed(error_code(error), error.message) from None
    if picture is None:
        message = f"{source.display_name} has no picture that decodes."
        raise SnapshotFailed(SOURCE_CORRUPT, message)
    return picture


def _read(
    source: MediaSource, job: SnapshotJob, settings: Settings, *, start: float, last: bool
) -> tuple[Picture | None, MediaReader]:
    reader = MediaReader(
        source,
        interval=_EVERY_PICTURE if last else _ONE_SAMPLE,
        burst=1,
        start_at=start,
        open_timeout=job.timeout,
        read_timeout=job.timeout,
        # Decode up to the very picture at ``start``, not the key frame nearest to it.
        prefer_keyframes=False,
        analysis_side=job.max_side,
        address_guard=None if settings.allow_private_targets else VIDEO_SOURCE_GUARD,
    )
    found: Sample | None = None
    with reader:
        for sample in reader.samples():
            found = sample
            if not last:
                break
    if found is None:
        return None, reader
    height, width = found.key.shape[:2]
    full_width, full_height = found.source_size or (width, height)
    at = None if reader.live else round(found.timestamp, 3)
    return Picture(found.key, full_width, full_height, at), reader


def encode_jpeg(frame: Frame) -> bytes:
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise SnapshotFailed(SOURCE_CORRUPT, "The picture could not be encoded as JPEG.")
    return encoded.tobytes()


def _exit_with_the_server() -> None:
    sys.stdin.read()  # returns at end of file: the server gave up on this picture, or died
    os._exit(3)


def main() -> int:
    job = SnapshotJob.from_json(sys.stdin.readline())
    threading.Thread(target=_exit_with_the_server, daemon=True).start()
    settings = Settings(**job.settings)
    configure_logging(settings.log_format)
    sys.excepthook = lambda *exc_info: log.critical("snapshot process failed", exc_info=exc_info)
    try:
        picture = take_picture(job, settings)
        jpeg = encode_jpeg(picture.frame)
    except SnapshotFailed as failed:
        _write(SnapshotHeader(code=failed.code, message=failed.message))
        return 1
    except Exception:
        log.exception("the snapshot of %s failed", redact_url(job.address))
        _write(SnapshotHeader(code=ANALYSIS_CRASHED, message="The picture could not be taken."))
        return 1
    _write(SnapshotHeader(picture.width, picture.height, picture.at, len(jpeg)), jpeg)
    return 0


def _write(header: SnapshotHeader, jpeg: bytes = b"") -> None:
    sys.stdout.buffer.write(header.to_json().encode() + b"\n" + jpeg)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    sys.exit(main())
