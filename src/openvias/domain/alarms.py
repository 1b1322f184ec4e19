"""An alarm: the VIAS alarm envelope (research/vias-api.md §11.2-11.3) and what openvias keeps
with it (project, batch, video source, service, stream position, run).

The envelope is what every output channel and the event list carry::

    {"event_type", "task_id", "stream_id", "timestamp", "message_id", "image_base64",
     "data": {"event_set": [...]}}

``message_id`` is deterministic (:func:`alarm_message_id`): an alarm raised again for the
same frame after a resume gets the id it had the first time, so it is stored and delivered
once.
"""

from __future__ import annotations

import base64
import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

#: ``event_type`` of each algorithm service that raises alarms (vias-api.md §10.5, §11.3).
#: A service that only reports counts (``c-flowcount-*``) has none: ``EVENT_TYPES.get`` is None.
EVENT_TYPES: dict[str, int] = {
    "c-smoke-and-fire-cloud": 393216,  # 0x60000
    "c-smoke-and-fire-edge": 393216,
    "c-intrusiondetection-cloud": 196609,  # 0x30001
    "c-intrusiondetection-edge": 196609,
}

#: Flow counting's periodic messages (``c-flowcount-*``): line counts use VIAS's code;
#: VIAS documents no code for region counts, openvias uses the next one (0x20002).
LINE_COUNT_EVENT_TYPE = 131073  # 0x20001
REGION_COUNT_EVENT_TYPE = 131074  # 0x20002

#: The namespace of every alarm id. Never change it: ids of stored alarms derive from it.
ALARM_NAMESPACE = uuid.UUID("56ec6f9f-0e5f-4c43-8e3c-27aa0376f03b")


def alarm_message_id(task_id: str, run: int, media_ms: int, seq: int = 0) -> str:
    """The alarm's ``message_id``: an upper-case UUID (version 5) of the task, its run (user
    start), the stream position of the analysed frame (ms) and the alarm's number among
    those raised on that frame. The same inputs always give the same id."""
    name = f"{task_id}/{run}/{media_ms}/{seq}"
    return str(uuid.uuid5(ALARM_NAMESPACE, name)).upper()


@dataclass(frozen=True)
class Alarm:
    """One alarm as raised by the engine and stored in the event center."""

    message_id: str
    project_id: str
    task_id: str
    batch_id: str | None
    video_source_id: str | None
    stream_id: str
    service_name: str
    event_type: int
    #: Alarm time, Unix epoch seconds (the envelope's ``timestamp``).
    timestamp: int
    #: Stream position of the analysed frame, ms.
    media_ms: int
    run: int
    #: The envelope's ``data.event_set``, e.g. ``{"state": 1, "bounding_box": {x, y, w, h}}``.
    event_set: list[dict[str, Any]]
    #: The alarm frame (rendered as the task's ``render_*`` switches ask).
    jpeg: bytes
    #: Keys of the envelope's ``data`` besides ``event_set`` (e.g. flow counts' ``interval``).
    data_extra: dict[str, Any] = field(default_factory=dict)

    def envelope(self, include_image: bool = True) -> dict[str, Any]:
        """The VIAS alarm envelope, keys in the order of Huawei's example; without
        ``image_base64`` when ``include_image`` is false."""
        body: dict[str, Any] = {
            "event_type": self.event_type,
            "task_id": self.task_id,
            "stream_id": self.stream_id,
            "timestamp": self.timestamp,
            "message_id": self.message_id,
        }
        if include_image:
            body["image_base64"] = base64.b64encode(self.jpeg).decode("ascii")
        body["data"] = {
            **copy.deepcopy(self.data_extra),
            "event_set": copy.deepcopy(self.event_set),
        }
        return body
