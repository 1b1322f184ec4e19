"""A loopback HTTP proxy that applies the video-source address policy to every connection.

FFmpeg follows HTTP redirects and opens HLS variant playlists, keys and segments by itself,
to any host a remote answer names; it has no hook to check those addresses. It does honour
an HTTP proxy (the ``http_proxy`` option, handed down to every nested HLS open and to TLS
for ``https``), so ``MediaReader`` runs one :class:`GuardProxy` per open source and points
FFmpeg and the download fallback at it. For every connection the proxy

- resolves the target host and checks **all** its addresses (:class:`AddressGuard`);
  a refused target gets ``403`` and :attr:`GuardProxy.refusal` keeps the policy message,
  which the reader reports instead of FFmpeg's error;
- connects to an address it has just checked (no second DNS lookup: DNS rebinding cannot
  slip a loopback address in), keeping the host name in the request (``Host``, and the TLS
  server name of ``https``, which travels inside a ``CONNECT`` tunnel);
- forwards one request per connection (``Connection: close``), so a kept-alive connection
  can never carry a request to another host than the one checked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import threading
from typing import Final
from urllib.parse import urlsplit

from openvias.engine.address_guard import AddressGuard, AddressRefused, Unresolvable

log = logging.getLogger(__name__)

_HEAD_LIMIT: Final = 64 * 1024
_CHUNK: Final = 64 * 1024
_HOP_BY_HOP: Final = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization", b"te"}
)


class GuardProxy:
    """Serves on ``url`` (loopback) until :meth:`close`; one thread per connection."""

    def __init__(self, guard: AddressGuard, *, connect_timeout: float) -> None:
        self.guard = guard
        self.connect_timeout = connect_timeout
        #: The policy message of the first refused target, if any.
        self.refusal: str | None = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        _ignore_no_proxy()
        threading.Thread(target=self._accept, name="openvias-guard-proxy", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets = [self._listener, *self._open]
            self._open.clear()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self._track(client):
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._closed:
                sock.close()
                return False
            self._open.add(sock)
            return True

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            head, rest = _read_head(client)
            if head is None:
                return
            method, target, version, headers = _parse_head(head)
            tunnel = method == b"CONNECT"
            host, port, request = _route(method, target, version, headers, tunnel=tunnel)
            upstream = self._connect(client, host, port)
            if upstream is None:
                return
            if tunnel:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                upstream.sendall(request + rest)
            _relay(client, upstream)
        except ValueError:
            with contextlib.suppress(OSError):
                client.sendall(_answer(400))
        except OSError:
            pass  # a side hung up, or the proxy was closed
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    self._forget(sock)

    def _connect(self, client: socket.socket, host: str, port: int) -> socket.socket | None:
        try:
            addresses = self.guard.check(host, port)
        except AddressRefused as refused:
            self.refusal = self.refusal or str(refused)
            client.sendall(_answer(403))
            return None
        except Unresolvable:
            client.sendall(_answer(502))
            return None
        for address in addresses:
            try:
                upstream = socket.create_connection((address, port), self.connect_timeout)
            except OSError:
                continue
            upstream.settimeout(None)
            if self._track(upstream):
                return upstream
            return None
        client.sendall(_answer(502))
        return None

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


def _ignore_no_proxy() -> None:
    """FFmpeg and urllib skip the proxy for hosts listed in ``no_proxy``: not for this one."""
    for name in ("no_proxy", "NO_PROXY"):
        if os.environ.pop(name, None) is not None:
            log.warning("%s is ignored: video sources are checked by the address policy", name)


def _read_head(client: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(_CHUNK)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > _HEAD_LIMIT:
            raise ValueError("request head too large")
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def _parse_head(head: bytes) -> tuple[bytes, bytes, bytes, list[bytes]]:
    request_line, *headers = head.split(b"\r\n")
    method, target, version = request_line.split(b" ", 2)
    return method, target, version, headers


def _route(
    method: bytes, target: bytes, version: bytes, headers: list[bytes], *, tunnel: bool
) -> tuple[str, int, bytes]:
    """The host and port to connect to, and the request to send there (origin-form)."""
    if tunnel:
        parts = urlsplit("//" + target.decode("ascii"))
        return parts.hostname or "", parts.port or 443, b""
    parts = urlsplit(target.decode("ascii"))
    if parts.scheme != "http":
        raise ValueError("only absolute http:// requests are proxied")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    kept = [h for h in headers if h.split(b":", 1)[0].strip().lower() not in _HOP_BY_HOP]
    lines = [b" ".join((method, path.encode("ascii"), version)), *kept, b"Connection: close"]
    return parts.hostname or "", parts.port or 80, b"\r\n".join(lines) + b"\r\n\r\n"


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copies bytes both ways until either side closes."""
    with selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        while True:
            for key, _ in selector.select():
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                chunk = source.recv(_CHUNK)
                if not chunk:
                    return
                key.data.sendall(chunk)


def _answer(status: int) -> bytes:
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}[status]
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    return head.encode("ascii")
