"""What FFmpeg may open for each kind of video source: protocols and demuxers.

A remote answer must never make FFmpeg open a local path, and a local file must never make
it open another one (``OPENVIAS_FILE_ROOTS`` is checked on the file the user named only).
FFmpeg follows references on its own: an HLS playlist names segments (``file:`` ones
included), an ``ffconcat`` list names files, an SDP file names RTP streams. So every open
gets

- a **protocol whitelist** for its kind of source: a local file (or a downloaded copy)
  ``file`` only; HTTP ``http,https,tcp,tls,httpproxy`` (``crypto`` too for HLS, for
  AES-128 segments), never ``file``; RTSP ``rtsp,rtp,srtp,udp,tcp,tls``; RTMP and the
  others their own transports;
- for files, downloads and HTTP, a **format whitelist**: every demuxer of this FFmpeg
  except the ones that open other inputs (playlists, concat lists, SDP, RTSP/RTP, filter
  graphs). HLS stays allowed for HTTP(S) addresses, where its nested opens use the HTTP
  protocols only and go through the address guard (:mod:`openvias.engine.guard_proxy`).
"""

from __future__ import annotations

import functools
from typing import Final

import av
import av.format

FILE_PROTOCOLS: Final = "file"
HTTP_PROTOCOLS: Final = "http,https,tcp,tls,httpproxy"
HLS_PROTOCOLS: Final = f"{HTTP_PROTOCOLS},crypto"
NETWORK_PROTOCOLS: Final = {
    "http": HTTP_PROTOCOLS,
    "https": HTTP_PROTOCOLS,
    "rtsp": "rtsp,rtp,srtp,udp,tcp,tls",
    "rtsps": "rtsp,rtp,srtp,udp,tcp,tls",
    "rtmp": "rtmp,tcp",
    "rtmps": "rtmps,tls,tcp",
    "rtmpt": "rtmpt,http,tcp",
    "srt": "srt,udp",
    "udp": "udp",
    "rtp": "rtp,udp",
}
#: Demuxers that open other inputs named in the data they read.
LINKING_DEMUXERS: Final = frozenset(
    {
        "concat",
        "dash",
        "hls",
        "imf",
        "lavfi",
        "rtp",
        "rtp_mpegts",
        "rtsp",
        "sap",
        "sdp",
        "webm_dash_manifest",
    }
)


@functools.cache
def file_formats(*, allow_hls: bool) -> str:
    """The ``format_whitelist`` value: every self-contained demuxer (and HLS if asked)."""
    names = {
        name
        for name in av.formats_available
        if av.format.ContainerFormat(name).is_input and name not in LINKING_DEMUXERS
    }
    if allow_hls:
        names.add("hls")
    return ",".join(sorted(names))


def input_options(scheme: str, *, hls: bool, local: bool, proxy_url: str | None) -> dict[str, str]:
    """FFmpeg options restricting what opening a source may touch.

    ``local`` for a file on this machine, a downloaded copy included; ``scheme`` otherwise
    (one of :data:`NETWORK_PROTOCOLS`); ``proxy_url`` is the address guard's proxy.
    """
    if local:
        return {
            "protocol_whitelist": FILE_PROTOCOLS,
            "format_whitelist": file_formats(allow_hls=False),
        }
    options = {"protocol_whitelist": HLS_PROTOCOLS if hls else NETWORK_PROTOCOLS[scheme]}
    if scheme in ("http", "https"):
        options["format_whitelist"] = file_formats(allow_hls=True)
        if proxy_url is not None:
            options["http_proxy"] = proxy_url
    return options
