"""Stable names for the workers of a server process (the engine's lease owner, the delivery
worker), kept in the data directory.

A restarted server reads back the name of its previous life and so takes back at once what
that life held (stream leases, delivery leases) instead of waiting for them to expire. The
file stays locked (``flock``) while the process runs: a second process started on the same
data directory must not act under the same name, since both would then believe they own the
same leases; it gets a fresh name of its own, not kept.
"""

from __future__ import annotations

import fcntl
import os
import socket
import uuid
from pathlib import Path

#: Open, locked name files of this process, by path (kept open for the process's life).
_held: dict[Path, int] = {}


def _fresh(prefix: str) -> str:
    return f"{prefix}-{socket.gethostname()[:80]}-{uuid.uuid4().hex[:8]}"


def stable_name(data_dir: Path, file_name: str, prefix: str) -> str:
    """The name kept in ``data_dir/file_name`` (made on first use), or a fresh unkept one
    when another process holds that file."""
    path = data_dir / file_name
    fd = _held.get(path)
    if fd is None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return _fresh(prefix)
        _held[path] = fd
    os.lseek(fd, 0, os.SEEK_SET)
    name = os.read(fd, 256).decode("utf-8", "replace").strip()
    if not name:
        name = _fresh(prefix)
        os.write(fd, (name + "\n").encode())
        os.fsync(fd)
    return name
