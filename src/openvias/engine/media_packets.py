"""The video packets of one opened container, one at a time, with the rough edges handled.

- PyAV's empty end-of-stream packets are dropped (the sampler drains the decoder itself).
- In a file, an unreadable stretch (the demuxer's "invalid data") is counted and skipped by
  demuxing on from where the demuxer stands; after many in a row the rest is given up.
- On a network source, a read that returns only after ``read_timeout`` was interrupted by
  it: FFmpeg answers such a read with the picture its parser still held back, and the next
  read would wait as long again for nothing, so that next read fails at once instead.
- Packets can be read ahead (:meth:`PacketReader.peek`, :meth:`PacketReader.key_gaps`) and
  are then handed out first, in order.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Final, TypeAlias

import av
from av.container import InputContainer
from av.packet import Packet
from av.video.stream import VideoStream

from openvias.engine.media_errors import MediaError
from openvias.engine.sampling import packet_seconds

_MAX_UNREADABLE_IN_A_ROW: Final = 32

VideoPacket: TypeAlias = "Packet[VideoStream]"  # PyAV classes are generic in stubs only


class PacketReader:
    """The packets of ``stream``; ``stopped()`` ends reading (the reader was closed)."""

    def __init__(
        self,
        container: InputContainer,
        stream: VideoStream,
        *,
        where: str,
        skip_damage: bool,
        read_timeout: float | None,
        stopped: Callable[[], bool],
    ) -> None:
        self._container = container
        self._stream = stream
        self._where = where
        self._skip_damage = skip_damage
        self._read_timeout = read_timeout
        self._stopped = stopped
        self._demuxed: Iterator[VideoPacket] = container.demux(stream)
        self._ahead: deque[VideoPacket] = deque()
        self._timed_out = False
        self.unreadable = 0

    def __iter__(self) -> Iterator[VideoPacket]:
        ahead = self._ahead
        while ahead:
            yield ahead.popleft()
        if self._read_timeout is None:
            # A local file: no read to time, so one loop over the demuxer instead of a call
            # per packet (the Python around each packet is a tenth of a 720p key picture).
            yield from self._local_packets()
            return
        while True:
            packet = ahead.popleft() if ahead else self._read_from_demuxer()
            if packet is None:
                return
            yield packet

    def _local_packets(self) -> Iterator[VideoPacket]:
        """What :meth:`_read_from_demuxer` hands out when there is no read timeout."""
        stopped = self._stopped
        in_a_row = 0
        while not stopped():
            try:
                for packet in self._demuxed:
                    if stopped():
                        return
                    if packet.size:
                        in_a_row = 0
                        yield packet
                return
            except av.error.InvalidDataError:
                if not self._skip_damage:
                    raise
                self.unreadable += 1
                in_a_row += 1
                if in_a_row > _MAX_UNREADABLE_IN_A_ROW:
                    return
                self._demuxed = self._container.demux(self._stream)

    def read(self) -> VideoPacket | None:
        """The next packet with data; None at the end (or once stopped)."""
        if self._ahead:
            return self._ahead.popleft()
        return self._read_from_demuxer()

    def peek(self) -> VideoPacket | None:
        """The next packet, left in place."""
        if not self._ahead:
            packet = self._read_from_demuxer()
            if packet is None:
                return None
            self._ahead.append(packet)
        return self._ahead[0]

    def key_gaps(self, *, keyframes: int, max_bytes: int) -> list[float]:
        """Seconds between the next ``keyframes`` key frames, read ahead (within ``max_bytes``)."""
        times = [t for p in self._ahead if p.is_keyframe and (t := packet_seconds(p)) is not None]
        size = sum(p.size for p in self._ahead)
        while len(times) < keyframes and size < max_bytes:
            packet = self._read_from_demuxer()
            if packet is None:
                break
            self._ahead.append(packet)
            size += packet.size
            if packet.is_keyframe and (t := packet_seconds(packet)) is not None:
                times.append(t)
        return [b - a for a, b in itertools.pairwise(sorted(times))]

    def _read_from_demuxer(self) -> VideoPacket | None:
        if self._timed_out:
            raise MediaError("timeout", f"{self._where} sent no data in time.", transient=True)
        in_a_row = 0
        timeout = self._read_timeout
        while not self._stopped():
            started = 0.0 if timeout is None else time.monotonic()
            try:
                packet = _next_with_data(self._demuxed)
            except av.error.InvalidDataError:
                if not self._skip_damage:
                    raise
                self.unreadable += 1
                in_a_row += 1
                if in_a_row > _MAX_UNREADABLE_IN_A_ROW:
                    return None
                self._demuxed = self._container.demux(self._stream)
                continue
            if timeout is not None and time.monotonic() - started >= timeout:
                self._timed_out = True
            return packet
        return None


def _next_with_data(packets: Iterator[VideoPacket]) -> VideoPacket | None:
    for packet in packets:
        if packet.size:
            return packet
    return None
