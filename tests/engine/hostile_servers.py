"""Loopback servers that answer what an attacker's server would (for the guard tests).

- :func:`listening`: a port that is closed, open but silent-then-junk, or a web server;
  it counts the connections it accepted (a refused target must get none);
- :func:`redirecting`: answers every request with a redirect to ``location``;
- :func:`junk_then`: answers FFmpeg (``User-Agent: Lavf…``) with junk, so that the reader
  falls back on downloading, and the download (any other client) with ``body``;
- :func:`serving_tls`: a folder over HTTPS with a self-signed certificate for a name.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.engine.http_servers import RangeHandler, _running
from tests.support import free_port

Listener = Literal["closed", "junk", "web"]


@dataclass
class Listening:
    port: int
    accepted: int = 0


@contextmanager
def listening(kind: Listener) -> Iterator[Listening]:
    if kind == "closed":
        yield Listening(free_port())
        return
    server = socket.create_server(("127.0.0.1", 0))
    state = Listening(server.getsockname()[1])

    def serve() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            state.accepted += 1
            with client, contextlib.suppress(OSError):
                client.recv(4096)
                answer = (
                    b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi"
                    if kind == "web"
                    else b"\x00junk"
                )
                client.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield state
    finally:
        server.close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def redirecting(location: str) -> Iterator[str]:
    """The base URL of a server redirecting every GET to ``location``."""

    class Redirect(_Quiet):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with _running(ThreadingHTTPServer(("127.0.0.1", 0), Redirect)) as base_url:
        yield base_url


@contextmanager
def junk_then(body: bytes, *, location: str | None = None) -> Iterator[str]:
    """The base URL of a server that feeds FFmpeg junk and the download ``body`` (or a
    redirect to ``location``)."""

    class JunkThenBody(_Quiet):
        def do_GET(self) -> None:
            from_ffmpeg = self.headers.get("User-Agent", "").startswith("Lavf")
            data = b"\x00\x01junk" * 512 if from_ffmpeg else body
            if location is not None and not from_ffmpeg:
                self.send_response(302)
                self.send_header("Location", location)
            else:
                self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(ConnectionError):
                self.wfile.write(data)

    with _running(ThreadingHTTPServer(("127.0.0.1", 0), JunkThenBody)) as base_url:
        yield base_url


@contextmanager
def serving_tls(folder: Path, name: str, keys: Path) -> Iterator[int]:
    """The port of an HTTPS server (range requests) for ``folder``, certified for ``name``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (keys / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (keys / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(keys / "cert.pem", keys / "key.pem")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(folder)))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with _running(server):
        yield server.server_port
