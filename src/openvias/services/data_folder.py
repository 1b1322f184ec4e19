"""The data folder holds the SQLite database (password hashes, sealed access-key secrets),
the secret key, the first admin's credentials and alarm images: it is private to the user
that runs openvias (folder 0700, files 0600).

New files get that through the process's umask; a folder made by an older release (0755,
files 0644) is tightened at start, and that is logged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

#: Files that openvias keeps at the top of the data folder.
PRIVATE_FILES = (
    "openvias.db",
    "openvias.db-wal",
    "openvias.db-shm",
    "openvias.db-journal",
    "initial-credentials.json",
    "secret.key",
    "engine-node-id",
    "delivery-worker-id",
)


def prepare_private_data_dir(data_dir: Path) -> None:
    """Make ``data_dir`` if missing, and keep it and what openvias writes in it private."""
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    _tighten(data_dir, 0o700)
    for name in PRIVATE_FILES:
        _tighten(data_dir / name, 0o600)


def _tighten(path: Path, mode: int) -> None:
    try:
        current = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return
    if current & ~mode == 0:
        return
    try:
        path.chmod(mode)
    except OSError as exc:
        log.warning("%s is mode %o and cannot be made %o: %s", path, current, mode, exc)
        return
    log.warning("%s was mode %o, readable by others: now %o", path, current, mode)
