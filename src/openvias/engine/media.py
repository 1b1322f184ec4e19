"""The media layer of the engine: a video address in, one :class:`Sample` per interval out.

::

    with MediaReader(MediaSource.from_url(url), interval=1.0) as reader:
        for sample in reader.samples():  # MediaError when the source fails
            ...

Files (local paths, ``file://``), HTTP(S) files and HLS, RTSP(S) over TCP or UDP and RTMP
are all pulled with PyAV, one decoding thread per stream. Decoding modes are explained in
:mod:`openvias.engine.sampling`, damaged packets and read timeouts in
:mod:`openvias.engine.media_packets`, the download fallback for unstreamable HTTP files in
:mod:`openvias.engine.http_fallback`, interrupting from another thread in
:mod:`openvias.engine.media_interrupt`, error reasons in :mod:`openvias.engine.media_errors`
(overview: ``docs/design/engine-media.md``). Reconnecting is the caller's job: it opens a new
reader.

Sample timestamps are seconds from the start of a file (``start_at`` counts the same way)
or from the first key frame a live connection received.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit
from urllib.request import url2pathname

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from openvias.algorithms.base import Sample
from openvias.engine import media_interrupt
from openvias.engine.address_guard import (
    AddressGuard,
    AddressRefused,
    Unresolvable,
    pinned_url,
)
from openvias.engine.guard_proxy import GuardProxy
from openvias.engine.http_fallback import fetch_to_temp_file
from openvias.engine.media_errors import MediaError, media_error, redact_url, stream_ended
from openvias.engine.media_inputs import input_options
from openvias.engine.media_packets import PacketReader
from openvias.engine.sampling import FULL, BurstSampler, PicturesAfter

__all__ = [
    "DEFAULT_DOWNLOAD_LIMIT",
    "VIDEO_SOURCE_GUARD",
    "MediaError",
    "MediaReader",
    "MediaSource",
]

LIVE_SCHEMES: Final = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "rtmpt", "srt", "udp", "rtp"})
NETWORK_SCHEMES: Final = LIVE_SCHEMES | {"http", "https"}
DEFAULT_DOWNLOAD_LIMIT: Final = 1 << 30
#: The video-source address policy (``OPENVIAS_ALLOW_PRIVATE_TARGETS`` unset).
VIDEO_SOURCE_GUARD: Final = AddressGuard()
#: Schemes whose connection can be pinned to the checked address by writing it in the URL
#: (no TLS server name to keep).
_PINNABLE: Final = frozenset({"rtsp", "rtmp"})
#: A file's first key frames are read ahead (no decoding) to know at once whether key frames
#: alone can serve the interval; reading stops at this many key frames or bytes.
_LOOKAHEAD_KEYFRAMES: Final = 3
_LOOKAHEAD_BYTES: Final = 16 << 20


@dataclass(frozen=True, slots=True)
class MediaSource:
    """Where a video comes from: a local path, ``file://``, ``http(s)://`` (a file or an
    HLS ``.m3u8``), ``rtsp(s)://`` or ``rtmp://``. ``live`` sources never end normally.
    ``operator_configured`` addresses (the presigned URLs of ``OPENVIAS_OBS_ENDPOINT``) are
    not subject to the video-source address policy."""

    url: str
    live: bool
    rtsp_transport: str = "tcp"
    operator_configured: bool = False

    def __post_init__(self) -> None:
        if self.rtsp_transport not in ("tcp", "udp"):
            raise ValueError(f"rtsp_transport must be 'tcp' or 'udp', not {self.rtsp_transport!r}")

    @classmethod
    def from_url(cls, url: str, *, rtsp_transport: str = "tcp") -> MediaSource:
        """Live for stream protocols; an HLS playlist turns out live when the reader opens it."""
        return cls(url=url, live=_scheme(url) in LIVE_SCHEMES, rtsp_transport=rtsp_transport)

    @property
    def scheme(self) -> str:
        """The lower-case URL scheme; ``""`` for a plain path."""
        return _scheme(self.url)

    @property
    def is_hls(self) -> bool:
        return self.scheme in ("http", "https") and urlsplit(self.url).path.lower().endswith(
            (".m3u8", ".m3u")
        )

    @property
    def display_name(self) -> str:
        """The address without credentials or query, for messages and logs."""
        return redact_url(self.url)


class MediaReader:
    """Opens a :class:`MediaSource` and yields a :class:`Sample` every ``interval`` seconds.

    A context manager: ``__enter__`` opens (raising :class:`MediaError`), ``__exit__``
    closes. :meth:`close` may be called from any thread; a read blocked on a silent network
    source then returns within about 0.1 s and :meth:`samples` ends without an error.

    ``max_download_bytes`` caps the download of an HTTP file that cannot be streamed
    (``downloaded`` tells whether that happened); ``prefer_keyframes=False`` forces full
    decoding (for comparisons). ``live`` is the source's, or True for a live HLS playlist.
    ``address_guard`` is the video-source address policy checked on every network
    connection (None when ``OPENVIAS_ALLOW_PRIVATE_TARGETS`` allows every address).
    ``analysis_side`` delivers frames scaled down to that longer side while converting
    them (``Sample.source_size`` and ``Sample.full_key`` keep the source resolution).
    ``pictures_after`` (may also be set before :meth:`open`) is asked per sample how many
    pictures of the burst after the key picture to decode (see
    :mod:`openvias.engine.sampling`); None = the whole burst, always.
    """

    def __init__(
        self,
        source: MediaSource,
        *,
        interval: float,
        burst: int = 3,
        start_at: float = 0.0,
        open_timeout: float = 10.0,
        read_timeout: float = 10.0,
        max_download_bytes: int = DEFAULT_DOWNLOAD_LIMIT,
        prefer_keyframes: bool = True,
        analysis_side: int | None = None,
        address_guard: AddressGuard | None = VIDEO_SOURCE_GUARD,
        pictures_after: PicturesAfter | None = None,
    ) -> None:
        if interval <= 0 or burst < 1 or start_at < 0:
            raise ValueError("interval must be > 0, burst >= 1 and start_at >= 0")
        if open_timeout <= 0 or read_timeout <= 0 or max_download_bytes < 0:
            raise ValueError("timeouts must be > 0 and max_download_bytes >= 0")
        self.source = source
        self.interval = interval
        self.burst = burst
        self.start_at = 0.0 if source.live else start_at
        self.open_timeout = open_timeout
        self.read_timeout = read_timeout
        self.max_download_bytes = max_download_bytes
        self.analysis_side = analysis_side
        self.prefer_keyframes = prefer_keyframes
        self.pictures_after = pictures_after
        self.address_guard = None if source.operator_configured else address_guard
        self.live = source.live
        self.duration: float | None = None
        self.width = 0
        self.height = 0
        self.mode: str = FULL
        self.frames_decoded = 0
        self.damaged_packets = 0
        #: Seconds in the decoder and in the conversion to BGR, and when (perf_counter) the
        #: key picture of the latest sample was read (see ``BurstSampler``).
        self.decode_seconds = 0.0
        self.convert_seconds = 0.0
        self.sample_read_at = 0.0
        self.downloaded = False
        self._lock = threading.Lock()
        self._closed = False
        self._busy_thread: int | None = None
        self._container: InputContainer | None = None
        self._packets: PacketReader | None = None
        self._sampler: BurstSampler | None = None
        self._temp_file: Path | None = None
        self._proxy: GuardProxy | None = None
        media_interrupt.install()

    def __enter__(self) -> MediaReader:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Connects and reads the first packet; returns quietly if closed meanwhile."""
        if self._sampler is not None:
            raise RuntimeError("this MediaReader is already open")
        with self._inside_ffmpeg() as allowed:
            if not allowed:
                return
            try:
                self._open()
            except BaseException:
                self._release()
                raise

    def samples(self) -> Iterator[Sample]:
        """Samples until a file ends or :meth:`close` is called; MediaError on failure."""
        if self._sampler is None or self._packets is None:
            if self._closed:
                return
            raise RuntimeError("open the MediaReader before reading samples")
        produced = self._produce(self._sampler, self._packets)
        try:
            while True:
                with self._inside_ffmpeg() as allowed:
                    sample = next(produced, None) if allowed else None
                if sample is None or self._closed:
                    return
                self.width, self.height = sample.width, sample.height
                yield sample
        finally:
            produced.close()

    def close(self) -> None:
        """Releases everything; from another thread, interrupts a blocked read first."""
        with self._lock:
            self._closed = True
            if self._busy_thread is not None:
                # That thread releases everything when it leaves FFmpeg.
                media_interrupt.abort(self._busy_thread)
                return
        self._release()

    @contextlib.contextmanager
    def _inside_ffmpeg(self) -> Iterator[bool]:
        """Marks this thread as the one in FFmpeg for this reader, unless closed."""
        me = threading.get_ident()
        with self._lock:
            allowed = not self._closed
            if allowed:
                self._busy_thread = me
        try:
            yield allowed
        finally:
            with self._lock:
                if allowed:
                    self._busy_thread = None
                media_interrupt.clear(me)
                closed = self._closed
            if closed:
                self._release()

    def _open(self) -> None:
        source = self.source
        where = source.display_name
        if source.scheme not in NETWORK_SCHEMES and source.scheme not in ("", "file"):
            message = f"{where}: {source.scheme}:// sources are not supported."
            raise MediaError("unsupported", message, transient=False)
        network = source.scheme not in ("", "file")
        target = self._checked_url() if network else self._local_path()
        try:
            self._open_container(target, network=network)
        except av.FFmpegError as error:
            self._release_container()
            if self._closed:
                return
            self._raise_if_refused()
            if not self._download_may_help(error):
                raise self._explain(error, network=network) from error
            self._open_downloaded()

    def _checked_url(self) -> str:
        """The URL to open, after the address policy accepted its host (pinned if possible).

        HTTP(S) connections, redirects and HLS segments included, go through a
        :class:`GuardProxy` that checks each of them.
        """
        url = self.source.url
        guard = self.address_guard
        if guard is None:
            return url
        parts = urlsplit(url)
        try:
            addresses = guard.check_url(parts)
        except AddressRefused as refused:
            raise MediaError("refused", str(refused), transient=False) from None
        except Unresolvable:
            message = f"Cannot connect to {self.source.display_name} (its host does not resolve)."
            raise MediaError("unreachable", message, transient=True) from None
        if parts.scheme in ("http", "https"):
            self._proxy = GuardProxy(guard, connect_timeout=self.open_timeout)
            return url
        if parts.scheme in _PINNABLE:
            return pinned_url(url, addresses)
        return url

    def _raise_if_refused(self) -> None:
        """The policy's refusal instead of FFmpeg's error when the guard refused a hop."""
        refusal = self._proxy.refusal if self._proxy is not None else None
        if refusal is not None:
            raise MediaError("refused", refusal, transient=False)

    def _explain(self, error: av.FFmpegError, *, network: bool) -> MediaError:
        where = self.source.display_name
        if isinstance(error, av.error.ArgumentError) and not network:
            message = (
                f"{where} is a playlist or a list of other files, which is only read from "
                "http(s) HLS addresses, never from a local file or a download."
            )
            return MediaError("unsupported", message, transient=False)
        return media_error(error, where, live=self.live, network=network, opening=True)

    def _open_downloaded(self) -> None:
        where = self.source.display_name
        try:
            path = fetch_to_temp_file(
                self.source.url,
                where=where,
                limit_bytes=self.max_download_bytes,
                timeout=self.read_timeout,
                cancelled=lambda: self._closed,
                proxy_url=self._proxy.url if self._proxy is not None else None,
            )
        except MediaError:
            self._raise_if_refused()
            raise
        if path is None:
            return
        self._temp_file = path
        self.downloaded = True
        try:
            self._open_container(str(path), network=False)
        except av.FFmpegError as error:
            raise self._explain(error, network=False) from error

    def _open_container(self, target: str, *, network: bool) -> None:
        options = input_options(
            self.source.scheme,
            hls=self.source.is_hls,
            local=not network,
            proxy_url=self._proxy.url if self._proxy is not None else None,
        )
        timeouts: tuple[float, float] | None = None
        if network:
            timeouts = (self.open_timeout, self.read_timeout)
            micros = str(int(self.read_timeout * 1_000_000))
            if self.source.scheme in ("rtsp", "rtsps"):
                options["rtsp_transport"] = self.source.rtsp_transport
                options["timeout"] = micros
                options["allowed_media_types"] = "video"
            else:
                options["rw_timeout"] = micros
        container = av.open(target, mode="r", options=options, timeout=timeouts)
        self._container = container
        if not container.streams.video:
            message = f"{self.source.display_name} has no video stream."
            raise MediaError("unsupported", message, transient=False)
        stream = container.streams.video[0]
        codec = stream.codec_context
        codec.thread_count = 1
        codec.thread_type = "NONE"
        self.width, self.height = codec.width, codec.height
        if self.source.is_hls and container.duration is None:  # no #EXT-X-ENDLIST
            self.live = True
            self.start_at = 0.0
        origin = None if self.live else _stream_origin(container, stream)
        if not self.live:
            self.duration = _duration(container, stream)
            if self.start_at > 0:
                _seek(container, stream, (origin or 0.0) + self.start_at)
        packets = PacketReader(
            container,
            stream,
            where=self.source.display_name,
            skip_damage=not self.live,
            read_timeout=self.read_timeout if network else None,
            stopped=lambda: self._closed,
        )
        self._packets = packets
        if packets.peek() is None and self.start_at == 0:
            message = f"{self.source.display_name} contains no video data."
            raise MediaError("corrupt", message, transient=False)
        key_gaps: list[float] = []
        if origin is not None and self.start_at == 0 and self.prefer_keyframes:
            key_gaps = packets.key_gaps(keyframes=_LOOKAHEAD_KEYFRAMES, max_bytes=_LOOKAHEAD_BYTES)
        self._sampler = BurstSampler(
            codec,
            interval=self.interval,
            burst=self.burst,
            start_at=self.start_at,
            origin=origin,
            wait_for_key=self.live,
            prefer_keyframes=self.prefer_keyframes,
            key_gaps=key_gaps,
            analysis_side=self.analysis_side,
            pictures_after=self.pictures_after,
            demuxed_stream=None if network else stream,
        )

    def _produce(
        self, sampler: BurstSampler, packets: PacketReader
    ) -> Generator[Sample, None, None]:
        """The samples; ends quietly, whatever FFmpeg says, once :meth:`close` was called."""
        where = self.source.display_name
        try:
            for packet in packets:
                samples = sampler.feed(packet)
                if samples:  # the counters are read per sample (and at the end)
                    self._note_progress(sampler, packets)
                    yield from samples
            if self._closed:
                return
            samples = sampler.finish()
            self._note_progress(sampler, packets)
            yield from samples
        except av.FFmpegError as error:
            if self._closed:
                return
            self._raise_if_refused()
            network = self.source.scheme in NETWORK_SCHEMES and not self.downloaded
            raise media_error(
                error, where, live=self.live, network=network, opening=False
            ) from error
        except MediaError:
            if self._closed:
                return
            raise
        if self.live:
            raise stream_ended(where)
        if sampler.frames_decoded == 0 and (self.damaged_packets > 0 or self.start_at == 0):
            damage = f" ({self.damaged_packets} unreadable packets)" if self.damaged_packets else ""
            message = f"{where} is damaged: none of its pictures decode{damage}."
            raise MediaError("corrupt", message, transient=False)

    def _note_progress(self, sampler: BurstSampler, packets: PacketReader) -> None:
        self.mode = sampler.mode
        self.frames_decoded = sampler.frames_decoded
        self.damaged_packets = sampler.damaged_packets + packets.unreadable
        self.decode_seconds = sampler.decode_seconds
        self.convert_seconds = sampler.convert_seconds
        self.sample_read_at = sampler.sample_read_at

    def _local_path(self) -> str:
        url = self.source.url
        path = Path(url2pathname(urlsplit(url).path)) if self.source.scheme == "file" else Path(url)
        if not path.is_file():
            raise MediaError("not_found", f"The file {path} does not exist.", transient=False)
        return str(path)

    def _download_may_help(self, error: av.FFmpegError) -> bool:
        """An HTTP file FFmpeg could not read in place, e.g. its index sits at the end."""
        return (
            self.source.scheme in ("http", "https")
            and not self.source.is_hls
            and not self.live
            and isinstance(error, av.error.OSError | av.error.InvalidDataError)
        )

    def _release_container(self) -> None:
        with self._lock:
            container, self._container = self._container, None
            self._packets = None
        if container is not None:
            with contextlib.suppress(av.FFmpegError):
                container.close()

    def _release(self) -> None:
        self._release_container()
        with self._lock:
            temp_file, self._temp_file = self._temp_file, None
            proxy, self._proxy = self._proxy, None
        if temp_file is not None:
            temp_file.unlink(missing_ok=True)
        if proxy is not None:
            proxy.close()


def _scheme(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    return "" if len(scheme) <= 1 else scheme  # "" or a Windows drive letter: a path


def _stream_origin(container: InputContainer, stream: VideoStream) -> float | None:
    """Stream seconds of the file's first picture (MPEG-PS and TS do not start at 0)."""
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    if container.start_time is not None:
        return container.start_time / av.time_base
    return None


def _duration(container: InputContainer, stream: VideoStream) -> float | None:
    if container.duration is not None:
        return container.duration / av.time_base
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def _seek(container: InputContainer, stream: VideoStream, seconds: float) -> None:
    """Jumps to the key frame at or before ``seconds``; without an index, reads from 0."""
    if stream.time_base is None:
        return
    with contextlib.suppress(av.FFmpegError):
        container.seek(int(seconds / stream.time_base), stream=stream, backward=True)
