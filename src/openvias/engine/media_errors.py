"""Why a video could not be read, as one reason, one sentence and a retry hint.

FFmpeg reports failures as ``av.error.FFmpegError`` subclasses whose text can contain the
full URL (credentials, signed query strings included); :func:`media_error` turns them into a
:class:`MediaError` that names the source through :func:`redact_url` only.
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import urlsplit, urlunsplit

import av

Reason = Literal[
    "not_found", "unreachable", "timeout", "disconnected", "unsupported", "corrupt", "refused"
]

_NOT_FOUND: Final = (av.error.FileNotFoundError, av.error.HTTPNotFoundError)
_DENIED: Final = (
    av.error.HTTPUnauthorizedError,
    av.error.HTTPForbiddenError,
    av.error.PermissionError,
)
_REFUSED: Final = (
    av.error.ConnectionRefusedError,
    av.error.HTTPServerError,
    av.error.HTTPTooManyRequestsError,
)
_REJECTED: Final = (av.error.HTTPBadRequestError, av.error.HTTPOtherClientError)
_TIMEOUT: Final = (av.error.TimeoutError, av.error.ExitError)
_DROPPED: Final = (
    av.error.ConnectionResetError,
    av.error.ConnectionAbortedError,
    av.error.BrokenPipeError,
    av.error.EOFError,
)
_UNSUPPORTED: Final = (
    av.error.DecoderNotFoundError,
    av.error.DemuxerNotFoundError,
    av.error.ProtocolNotFoundError,
    av.error.PatchWelcomeError,
    av.error.ExperimentalError,
)


class MediaError(Exception):
    """A video source that cannot be read (now, or at all).

    ``reason`` is one of ``not_found``, ``unreachable``, ``timeout``, ``disconnected``,
    ``unsupported``, ``corrupt``, ``refused`` (by the video-source address policy);
    ``message`` is one sentence for people, free of
    credentials; ``transient`` says whether opening the source again later may work.
    """

    def __init__(self, reason: Reason, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message
        self.transient = transient

    def __repr__(self) -> str:
        return f"MediaError({self.reason!r}, {self.message!r}, transient={self.transient})"


def redact_url(url: str) -> str:
    """The URL without user, password, query and fragment (they may carry secrets)."""
    parts = urlsplit(url)
    if not parts.scheme or len(parts.scheme) == 1:  # a path (or a Windows drive letter)
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def media_error(
    error: av.FFmpegError, where: str, *, live: bool, network: bool, opening: bool
) -> MediaError:
    """The :class:`MediaError` for an FFmpeg failure while opening or reading ``where``.

    ``where`` is already redacted. On a live source every failure may pass, so all of them
    are transient except a refused login, a rejected request and an unsupported format.
    """
    detail = (error.strerror or type(error).__name__).rstrip(".")
    if isinstance(error, _NOT_FOUND):
        return MediaError("not_found", f"{where} was not found ({detail}).", transient=live)
    if isinstance(error, _DENIED):
        message = f"{where} refused access ({detail}); check the credentials and permissions."
        return MediaError("unreachable", message, transient=False)
    if isinstance(error, _REFUSED):
        return MediaError("unreachable", f"Cannot connect to {where} ({detail}).", transient=True)
    if isinstance(error, _REJECTED):
        message = f"{where} rejected the request ({detail})."
        return MediaError("unreachable", message, transient=False)
    if isinstance(error, _TIMEOUT):
        return MediaError("timeout", f"{where} sent no data in time.", transient=True)
    if isinstance(error, _UNSUPPORTED):
        message = f"{where} uses a format that cannot be decoded ({detail})."
        return MediaError("unsupported", message, transient=False)
    corrupt_data = isinstance(error, av.error.InvalidDataError)
    if not opening and (isinstance(error, _DROPPED) or (live and not corrupt_data)):
        message = f"The connection to {where} was lost ({detail})."
        return MediaError("disconnected", message, transient=True)
    if network and isinstance(error, (av.error.OSError, *_DROPPED)):
        # EIO also stands for "host not found" and for an HTTP body that broke off.
        action = "connect to" if opening else "read from"
        return MediaError("unreachable", f"Cannot {action} {where} ({detail}).", transient=True)
    return MediaError("corrupt", f"{where} is not a readable video ({detail}).", transient=live)


def stream_ended(where: str) -> MediaError:
    return MediaError(
        "disconnected", f"The live stream {where} ended (the server closed it).", transient=True
    )
