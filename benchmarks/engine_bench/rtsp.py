"""The looping RTSP cameras of part 2: tests/rtsp_server.py, wrapped to log first pictures."""

from __future__ import annotations

import contextlib
import selectors
import subprocess
import time
from pathlib import Path
from typing import IO

from tests.rtsp_support import SERVER_SCRIPT, SYSTEM_PYTHON
from tests.support import free_port, stop_process

#: Runs tests/rtsp_server.py with every mount sharing one parsed clip and logging, per mount,
#: the wall-clock time its first picture goes out (argv: tests folder, log file, then the
#: server's own arguments). Debian's Python 3.11 runs it.
RTSP_WRAPPER = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
log = open(sys.argv[2], "a", buffering=1)
sys.argv = ["rtsp_server"] + sys.argv[3:]
import rtsp_server as rs

_load, _cache = rs.load, {}

def load(path):
    if path not in _cache:
        _cache[path] = _load(path)
    return _cache[path]

class Feeder(rs.Feeder):
    def __init__(self, clip, name):
        super().__init__(clip)
        self.name = name

    def need_data(self, source, length):
        first = self.offset is None
        now = time.time()
        super().need_data(source, length)
        if first:
            log.write("%s %.6f\n" % (self.name, now))

def mount(server, name, clip):
    factory = rs.GstRtspServer.RTSPMediaFactory()
    factory.set_launch(rs._SERVE.format(caps=clip.caps.replace('"', '\\"')))
    factory.set_shared(True)

    def configure(_factory, media):
        source = media.get_element().get_by_name("src")
        source.connect("need-data", Feeder(clip, name).need_data)

    factory.connect("media-configure", configure)
    server.get_mount_points().add_factory("/" + name, factory)

rs.load, rs.mount = load, mount
sys.exit(rs.main())
"""


class RtspRig:
    """The looping RTSP cameras: ``mounts`` mounts of one clip on one server process."""

    def __init__(self, clip: Path, mounts: int, folder: Path) -> None:
        self.clip = clip
        self.names = [f"cam{i}" for i in range(mounts)]
        self.port = free_port()
        self.plays_path = folder / "rtsp-plays.log"
        self.log_path = folder / "rtsp-server.log"
        self.process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self, timeout: float = 60.0) -> None:
        command = [SYSTEM_PYTHON, "-c", RTSP_WRAPPER, str(SERVER_SCRIPT.parent)]
        command += [str(self.plays_path), "--port", str(self.port)]
        command += [f"{name}={self.clip}" for name in self.names]
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log, text=True
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline and self.process.poll() is None:
                if selector.select(timeout=0.1):
                    line = self.process.stdout.readline().strip()
                    break
        if not line.startswith("ready"):
            self.stop()
            complaint = self.log_path.read_text().strip()[-500:] or line or "no output"
            raise RuntimeError(f"the RTSP server did not start: {complaint}")

    def plays(self) -> dict[str, list[float]]:
        """Wall-clock times at which each mount's stream (re)started from the clip's start."""
        found: dict[str, list[float]] = {}
        with contextlib.suppress(FileNotFoundError):
            for line in self.plays_path.read_text().splitlines():
                name, _, stamp = line.partition(" ")
                found.setdefault(name, []).append(float(stamp))
        return found

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, timeout=5)
            if process.stdout is not None:
                process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
