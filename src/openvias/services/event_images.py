"""An alarm's stored JPEG, scaled down for a card. OpenCV only (never the engine)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np

#: Quality of a scaled-down picture: a card's thumbnail, not evidence.
SCALED_QUALITY = 85
#: Start-of-frame markers (baseline, progressive, ...); C4, C8 and CC are other segments.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(frozen=True, slots=True)
class EventImage:
    jpeg: bytes
    #: The stored picture's size, which the alarm's bounding boxes refer to.
    width: int
    height: int


def jpeg_size(jpeg: bytes) -> tuple[int, int] | None:
    """(width, height) from the JPEG's start-of-frame header, without decoding it; None
    when there is no readable header."""
    at = 2
    while at + 9 <= len(jpeg) and jpeg[:2] == b"\xff\xd8":
        if jpeg[at] != 0xFF:
            return None
        marker = jpeg[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack(">H", jpeg[at + 2 : at + 4])
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", jpeg[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def _decode_flag(size: tuple[int, int] | None, max_side: int | None) -> int:
    """Decode at 1/2, 1/4 or 1/8 of the size (libjpeg scales while decoding, several times
    faster than a full decode) when the result still covers ``max_side``."""
    if size is None or max_side is None:
        return cv2.IMREAD_COLOR
    for factor, flag in (
        (8, cv2.IMREAD_REDUCED_COLOR_8),
        (4, cv2.IMREAD_REDUCED_COLOR_4),
        (2, cv2.IMREAD_REDUCED_COLOR_2),
    ):
        if max(size) // factor >= max_side:
            return flag
    return cv2.IMREAD_COLOR


def scaled_jpeg(jpeg: bytes, max_side: int | None) -> EventImage:
    """``jpeg`` unchanged when it fits in ``max_side`` (or none is given), else scaled so
    that its longer side is ``max_side``, aspect kept, re-encoded. A picture OpenCV cannot
    decode is returned as stored (size 0 x 0 when its header cannot be read either)."""
    size = jpeg_size(jpeg)
    if size is not None and (max_side is None or max(size) <= max_side):
        return EventImage(jpeg, *size)
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), _decode_flag(size, max_side))
    if image is None:
        return EventImage(jpeg, *(size or (0, 0)))
    width, height = size or (image.shape[1], image.shape[0])
    if max_side is None or max(width, height) <= max_side:
        return EventImage(jpeg, width, height)
    scale = max_side / max(width, height)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    if (image.shape[1], image.shape[0]) != target:
        image = cv2.resize(image, target, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, SCALED_QUALITY])
    return EventImage(bytes(encoded.tobytes()) if ok else jpeg, width, height)
