"""What a snapshot child process is asked (:class:`SnapshotJob`) and answers
(:class:`SnapshotHeader`): plain data that travels as JSON between the API's service
(``services/snapshots.py``) and ``python -m openvias.engine.snapshot``, which never import
each other.

The child reads one job line on stdin and writes one header line on stdout, followed, when
the header has no ``code``, by exactly ``jpeg_bytes`` bytes of JPEG.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Final

#: Where a file's picture is taken when no ``at`` is given (stream seconds).
DEFAULT_AT: Final = 2.0
DEFAULT_MAX_SIDE: Final = 1280
MIN_MAX_SIDE: Final = 320
MAX_MAX_SIDE: Final = 3840


@dataclass(frozen=True, slots=True)
class SnapshotJob:
    #: The video source's stored address (``stream_path``): a URL, ``obs://`` or a path.
    address: str
    #: Stream seconds into a file; None = :data:`DEFAULT_AT`, or the start of a shorter file.
    at: float | None
    max_side: int
    #: Network open and read timeouts of the child.
    timeout: float
    #: The server's settings that decide how an address is read (file roots, OBS, policy).
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> SnapshotJob:
        return cls(**json.loads(line))


@dataclass(frozen=True, slots=True)
class SnapshotHeader:
    """A picture (``width``/``height``: the source's full size; ``at``: the picture's stream
    seconds in a file, None for a live source) or a failure (``code``, ``message``)."""

    width: int = 0
    height: int = 0
    at: float | None = None
    jpeg_bytes: int = 0
    code: str | None = None
    message: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> SnapshotHeader:
        return cls(**json.loads(line))
