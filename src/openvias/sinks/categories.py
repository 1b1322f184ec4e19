"""What an output's ``data_category`` asks it to carry (vias-api.md §4, §11.1).

VIAS lets an output list the data categories it wants (``["FaceImage", "OriginImage"]`` for
an edge face task; "only some services" use it). An openvias alarm has one picture, the
analysed frame, which is VIAS's ``OriginImage``. So: no ``data_category`` (or an empty list)
means everything; a non-empty list carries the frame only when it names ``OriginImage``
(compared case-insensitively). The alarm JSON itself is always carried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ORIGIN_IMAGE = "OriginImage"


def wants_image(target: Mapping[str, Any]) -> bool:
    """Whether the output ``target`` should carry the alarm frame."""
    categories = target.get("data_category")
    if isinstance(categories, str):
        categories = [categories]
    if not isinstance(categories, list | tuple) or not categories:
        return True
    wanted = ORIGIN_IMAGE.lower()
    return any(isinstance(item, str) and item.strip().lower() == wanted for item in categories)
