"""A real webhook receiver on loopback for delivery tests and benchmarks: a threaded HTTP
server (keep-alive) that records every POST and answers per path as scripted: a list of
statuses to give first, then a default; optionally slow (a delay before answering)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    #: Wall clock (``time.time()``) when the request arrived, and when its answer was ready.
    arrived: float
    answered: float
    status: int
    #: The envelope's ``message_id`` (parsed once: tests poll for thousands of them).
    message_id: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Script:
    first: list[int] = field(default_factory=list)
    then: int = 200
    delay: float = 0.0


def _message_id(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message_id", ""))
    except (ValueError, AttributeError):
        return ""


class Receiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, _Script] = {}
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # As real servers do: no Nagle, and each answer in one write (headers and body
            # in separate small writes would wait for the client's delayed ACK, ~40 ms).
            disable_nagle_algorithm = True
            wbufsize = 64 * 1024

            def do_POST(self) -> None:
                arrived = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the client went away mid-request (a killed server)
                    self.close_connection = True
                    return
                path = self.path.split("?", 1)[0]
                delay, status = receiver._answer(path)
                if delay:
                    time.sleep(delay)
                reply = b'{"ok": true}' if status < 300 else b'{"error": "scripted"}'
                # Recorded before the answer goes out: a sender that has its answer must
                # find its request recorded (it may check at once).
                received = Received(
                    path=path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    arrived=arrived,
                    answered=time.time(),
                    status=status,
                    message_id=_message_id(body),
                )
                with receiver._lock:
                    receiver.requests.append(received)
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                    self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client gone mid-request (a killed server, a timeout) is expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *first: int, then: int = 200, delay: float = 0.0) -> str:
        """Answer ``path`` with the ``first`` statuses, then ``then``, each after ``delay``
        seconds; returns the path's URL."""
        with self._lock:
            self._scripts[path] = _Script(list(first), then, delay)
        return self.url(path)

    def _answer(self, path: str) -> tuple[float, int]:
        with self._lock:
            script = self._scripts.setdefault(path, _Script())
            status = script.first.pop(0) if script.first else script.then
            return script.delay, status

    def received(self, path: str | None = None) -> list[Received]:
        """Requests received so far (of ``path``), oldest first."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def wait(
        self, predicate: Callable[[list[Received]], bool], path: str, timeout: float = 30
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.received(path)
            if predicate(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: got {len(got)} requests, not what was awaited")
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.close()
