"""A looping RTSP "camera" for tests: GStreamer's RTSP server serving H.264 files endlessly.

Run it with Debian's interpreter (python3-gi and gir1.2-gst-rtsp-server-1.0 live there)::

    /usr/bin/python3 tests/rtsp_server.py --port 8554 cam=clip.mp4 [door=other.mkv ...]

Each ``NAME=FILE`` becomes ``rtsp://127.0.0.1:PORT/NAME`` for TCP and UDP clients. Every
file is parsed once into H.264 access units; a media's ``appsrc`` then pushes them over and
over, shifting the timestamps by the clip length on every lap, so the stream never ends and
never jumps back (demuxer loops such as ``multifilesrc loop=true ! qtdemux`` do not survive
a second ``moov``). The first lap is aligned to the pipeline's running time and the live
``appsrc`` lets the RTP sinks pace it in real time, like a camera. Prints
``ready rtsp://127.0.0.1:PORT`` once listening; exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import dataclass

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

_PARSE = (
    'filesrc location="{path}" ! parsebin ! h264parse config-interval=-1 '
    "! video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
)
# The access units already repeat SPS/PPS before every IDR (the parser above inserts them
# per access unit). rtph264pay's own config-interval would insert them before every IDR
# *slice*, splitting multi-slice pictures (x264's sliced threads, many cameras) in two.
_SERVE = (
    '( appsrc name=src is-live=true format=time caps="{caps}" '
    "! h264parse ! rtph264pay name=pay0 pt=96 )"
)


@dataclass(frozen=True)
class AccessUnit:
    data: bytes
    pts: int
    dts: int
    duration: int
    delta: bool


@dataclass(frozen=True)
class Clip:
    units: list[AccessUnit]
    caps: str
    span: int  # nanoseconds of one lap: from the first picture to the end of the last


def load(path: str) -> Clip:
    """All access units of the file's H.264 track, with the timestamps GStreamer gave them."""
    pipeline = Gst.parse_launch(_PARSE.format(path=path))
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    units: list[AccessUnit] = []
    caps = ""
    while (sample := sink.emit("pull-sample")) is not None:
        buffer = sample.get_buffer()
        caps = sample.get_caps().to_string()
        mapped, info = buffer.map(Gst.MapFlags.READ)
        if not mapped:
            continue
        data = bytes(info.data)
        buffer.unmap(info)
        pts = buffer.pts
        dts = buffer.dts if buffer.dts != Gst.CLOCK_TIME_NONE else pts
        delta = buffer.has_flags(Gst.BufferFlags.DELTA_UNIT)
        units.append(AccessUnit(data, pts, dts, buffer.duration, delta))
    pipeline.set_state(Gst.State.NULL)
    if not units:
        raise SystemExit(f"rtsp_server: no H.264 video in {path}")
    start = min(min(unit.pts, unit.dts) for unit in units)
    span = max(u.pts + u.duration for u in units) - min(u.pts for u in units)
    shifted = [AccessUnit(u.data, u.pts - start, u.dts - start, u.duration, u.delta) for u in units]
    return Clip(shifted, caps, span)


class Feeder:
    """Pushes one clip's access units into one media's appsrc, lap after lap."""

    def __init__(self, clip: Clip) -> None:
        self.clip = clip
        self.position = 0
        self.offset: int | None = None

    def need_data(self, source: Gst.Element, _length: int) -> None:
        if self.offset is None:
            clock = source.get_clock()
            self.offset = clock.get_time() - source.get_base_time() if clock else 0
        unit = self.clip.units[self.position]
        buffer = Gst.Buffer.new_wrapped(unit.data)
        buffer.pts = unit.pts + self.offset
        buffer.dts = unit.dts + self.offset
        buffer.duration = unit.duration
        if unit.delta:
            buffer.set_flags(Gst.BufferFlags.DELTA_UNIT)
        source.emit("push-buffer", buffer)
        self.position += 1
        if self.position == len(self.clip.units):
            self.position = 0
            self.offset += self.clip.span


def mount(server: GstRtspServer.RTSPServer, name: str, clip: Clip) -> None:
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(_SERVE.format(caps=clip.caps.replace('"', '\\"')))
    factory.set_shared(True)

    def configure(_factory: object, media: GstRtspServer.RTSPMedia) -> None:
        source = media.get_element().get_by_name("src")
        source.connect("need-data", Feeder(clip).need_data)

    factory.connect("media-configure", configure)
    server.get_mount_points().add_factory(f"/{name}", factory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("clips", nargs="+", metavar="NAME=FILE")
    args = parser.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    for spec in args.clips:
        name, _, path = spec.partition("=")
        if not name or not path:
            parser.error(f"expected NAME=FILE, got {spec!r}")
        mount(server, name, load(path))
    if server.attach(None) == 0:
        print(f"rtsp_server: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"ready rtsp://127.0.0.1:{args.port}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
