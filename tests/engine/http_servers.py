"""Loopback HTTP servers for the media tests.

- :func:`serving` a folder, with range requests (``206 Partial Content``, what FFmpeg needs
  to seek in a file) or without them (Python's plain ``http.server``, which always sends
  the whole file and makes FFmpeg fail on an MP4 whose index is at the end);
- :func:`live_feed`: an endless-looking MPEG-TS stream that sends some data and then
  stalls (a hung camera) or closes the connection (a camera that went away).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class QuietHandler(SimpleHTTPRequestHandler):
    """Python's file server (no range support), without the request log on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class RangeHandler(QuietHandler):
    """Serves files with single-range requests, as web servers and object stores do."""

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, *, with_body: bool) -> None:
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start, end = 0, len(data) - 1
        wanted = _RANGE.fullmatch(self.headers.get("Range", "").strip())
        if wanted and (wanted[1] or wanted[2]):
            if wanted[1]:
                start = int(wanted[1])
                end = min(int(wanted[2]), end) if wanted[2] else end
            else:
                start = max(0, len(data) - int(wanted[2]))
            if start > end:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        if with_body:
            with contextlib.suppress(ConnectionError):  # FFmpeg hangs up after seeking
                self.wfile.write(data[start : end + 1])


@contextmanager
def _running(server: ThreadingHTTPServer) -> Iterator[str]:
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving(folder: Path, *, ranges: bool) -> Iterator[str]:
    """The base URL of a loopback server for ``folder``."""
    handler = partial(RangeHandler if ranges else QuietHandler, directory=str(folder))
    with _running(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as base_url:
        yield base_url


@contextmanager
def live_feed(data: bytes, *, then: Literal["stall", "close"]) -> Iterator[str]:
    """The URL of a stream that sends ``data`` at once, then stalls or hangs up."""
    released = threading.Event()

    class FeedHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "video/mp2t")
            self.end_headers()  # no Content-Length: it looks endless
            with contextlib.suppress(ConnectionError):
                self.wfile.write(data)
                self.wfile.flush()
                if then == "stall":
                    released.wait(60)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with _running(ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)) as base_url:
        try:
            yield f"{base_url}/live.ts"
        finally:
            released.set()
