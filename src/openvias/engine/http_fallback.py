"""Downloading an HTTP(S) video that FFmpeg cannot stream, into a temporary file.

An MP4 written without ``faststart`` keeps its index (the ``moov`` atom) after the media
data; FFmpeg has to seek back and forth to play it, and a server without range support
(``python -m http.server``, some CDNs) cannot serve that: FFmpeg fails with "Input/output
error". The only way to read such a file is to have all of it, so ``MediaReader`` falls
back on :func:`fetch_to_temp_file`, capped at ``limit_bytes``.

The copy gets a neutral name (no extension taken from the URL) and is opened as a local
file with playlists and concat lists refused (:mod:`openvias.engine.media_inputs`): what a
remote server answers is data, never a list of other files to open. With the address
policy on, the download goes through the reader's guard proxy, which checks the host and
every redirect.

The download runs on a helper thread so that ``MediaReader.close()`` from another thread
returns at once; the helper notices at its next chunk (or its socket timeout) and removes
its partial file.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Final
from urllib.parse import unquote, urlsplit, urlunsplit

from openvias.engine.media_errors import MediaError

_CHUNK: Final = 1 << 20
_POLL_S: Final = 0.1


class _Cancelled(Exception):
    pass


def fetch_to_temp_file(
    url: str,
    *,
    where: str,
    limit_bytes: int,
    timeout: float,
    cancelled: Callable[[], bool],
    proxy_url: str | None = None,
) -> Path | None:
    """The path of a temporary copy of ``url`` (the caller deletes it); None if cancelled.

    ``proxy_url`` (the address guard's proxy) carries the request and its redirects.

    Raises :class:`MediaError`: ``unsupported`` past ``limit_bytes``, or what the HTTP
    failure means (``not_found``, ``unreachable``, ``timeout``, ``disconnected``).
    """
    fetch = _Fetch(url, where=where, limit_bytes=limit_bytes, timeout=timeout, proxy=proxy_url)
    threading.Thread(target=fetch.run, name="openvias-media-download", daemon=True).start()
    while not fetch.done.wait(_POLL_S):
        if cancelled():
            fetch.cancel.set()
            return None
    if fetch.error is not None:
        raise fetch.error
    return fetch.path


class _Fetch:
    def __init__(
        self, url: str, *, where: str, limit_bytes: int, timeout: float, proxy: str | None
    ) -> None:
        self.url = url
        self.proxy = proxy
        self.where = where
        self.limit_bytes = limit_bytes
        self.timeout = timeout
        self.done = threading.Event()
        self.cancel = threading.Event()
        self.path: Path | None = None
        self.error: MediaError | None = None

    def run(self) -> None:
        handle, name = tempfile.mkstemp(prefix="openvias-download-")
        try:
            with os.fdopen(handle, "wb") as out:
                self._copy_into(out)
            self.path = Path(name)
        except (MediaError, _Cancelled, OSError, ValueError) as error:
            with contextlib.suppress(OSError):
                os.unlink(name)
            if not isinstance(error, _Cancelled):
                self.error = error if isinstance(error, MediaError) else self._explain(error)
        finally:
            self.done.set()

    def _copy_into(self, out: BinaryIO) -> None:
        proxies = {"http": self.proxy, "https": self.proxy} if self.proxy else None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies))
        with opener.open(_request(self.url), timeout=self.timeout) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > self.limit_bytes:
                raise self._too_large()
            total = 0
            while chunk := response.read(_CHUNK):
                if self.cancel.is_set():
                    raise _Cancelled
                total += len(chunk)
                if total > self.limit_bytes:
                    raise self._too_large()
                out.write(chunk)

    def _too_large(self) -> MediaError:
        limit_mib = self.limit_bytes / (1 << 20)
        return MediaError(
            "unsupported",
            f"{self.where} cannot be streamed (its index is at the end and the server does "
            f"not support range requests) and it is larger than the {limit_mib:g} MiB "
            "download limit.",
            transient=False,
        )

    def _explain(self, error: OSError | ValueError) -> MediaError:
        where = self.where
        if isinstance(error, urllib.error.HTTPError):
            if error.code == 404:
                message = f"{where} was not found (HTTP 404)."
                return MediaError("not_found", message, transient=False)
            if error.code in (401, 403):
                message = f"{where} refused access (HTTP {error.code}); check the credentials."
                return MediaError("unreachable", message, transient=False)
            message = f"{where} answered HTTP {error.code} to the download."
            return MediaError("unreachable", message, transient=error.code >= 500)
        if isinstance(error, TimeoutError):
            return MediaError("timeout", f"Downloading {where} stalled.", transient=True)
        if isinstance(error, urllib.error.URLError):
            message = f"Cannot connect to {where} to download it ({error.reason})."
            return MediaError("unreachable", message, transient=True)
        message = f"Downloading {where} failed ({type(error).__name__})."
        return MediaError("disconnected", message, transient=True)


def _request(url: str) -> urllib.request.Request:
    """A GET without the URL's user info, which goes into a Basic authorization header."""
    parts = urlsplit(url)
    headers = {"User-Agent": "openvias"}
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    if parts.username is not None:
        user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(user_pass.encode()).decode()
    plain = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return urllib.request.Request(plain, headers=headers)
