"""Starting, stopping, freezing and restarting ``tests/rtsp_server.py`` from tests.

The server needs Debian's ``/usr/bin/python3`` with GStreamer's RTSP server bindings
(``scripts/ensure-services.sh`` installs them when run as root). Without them the RTSP
tests fail with the reason, unless ``OPENVIAS_SKIP_RTSP=1`` says to skip them.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from tests.support import free_port, stop_process

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
INSTALL_HINT = (
    "apt-get install -y --no-install-recommends python3-gi gir1.2-gst-rtsp-server-1.0 "
    "gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad "
    "gstreamer1.0-rtsp"
)
_PROBE = """import gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst; Gst.init(None)
elements = ('appsrc', 'parsebin', 'h264parse', 'rtph264pay')
missing = [e for e in elements if not Gst.ElementFactory.find(e)]
assert not missing, 'missing GStreamer elements: ' + ', '.join(missing)
"""


def missing_rtsp_server() -> str | None:
    """Why the RTSP test server cannot run here, or None when it can."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} does not exist"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
    )
    if probe.returncode != 0:
        last_line = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
        return f"GStreamer's RTSP server cannot run ({last_line})"
    return None


def require_rtsp_server() -> None:
    """Fails the calling test (skips it with OPENVIAS_SKIP_RTSP=1) when the server cannot run."""
    reason = missing_rtsp_server()
    if reason is None:
        return
    if os.environ.get("OPENVIAS_SKIP_RTSP") == "1":
        pytest.skip(f"RTSP tests skipped (OPENVIAS_SKIP_RTSP=1): {reason}")
    pytest.fail(
        f"The RTSP tests need GStreamer's RTSP server: {reason}. Run scripts/ensure-services.sh "
        f"as root, or: {INSTALL_HINT}; or set OPENVIAS_SKIP_RTSP=1 to skip these tests.",
        pytrace=False,
    )


class RtspServer:
    """One ``tests/rtsp_server.py`` process on a fixed port, restartable on that port."""

    def __init__(self, clips: Mapping[str, Path], port: int | None = None) -> None:
        self.clips = dict(clips)
        self.port = port or free_port()
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self, timeout: float = 20.0) -> None:
        if self._process is not None:
            raise RuntimeError("the RTSP server is already running")
        command = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port)]
        command += [f"{name}={path}" for name, path in self.clips.items()]
        # stderr goes to a file: a pipe nobody reads could fill up and block the server.
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (stop() closes it)
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log, text=True)
        self._process = process
        line = _ready_line(process, timeout)
        if not line.startswith("ready"):
            self._log.seek(0)
            complaint = self._log.read().strip()[-500:] or line or "no output"
            self.stop()
            raise RuntimeError(f"the RTSP server did not start: {complaint}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a frozen process cannot handle SIGTERM
        stop_process(process, timeout=5)
        if process.stdout is not None:
            process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def freeze(self) -> None:
        """Stops the process without closing its sockets: a camera that hangs."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)


def _ready_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The server's first stdout line; "" if it exits or stays silent until ``timeout``."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                return process.stdout.readline().strip()
            if process.poll() is not None:
                return ""
    return ""


@contextmanager
def running_rtsp_server(clips: Mapping[str, Path]) -> Iterator[RtspServer]:
    """An RTSP server for ``clips`` (see :func:`require_rtsp_server` for a missing one)."""
    require_rtsp_server()
    server = RtspServer(clips)
    server.start()
    try:
        yield server
    finally:
        server.stop()
