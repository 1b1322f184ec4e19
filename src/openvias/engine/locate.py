"""Where a task's video comes from: its input (or video source) as a pullable address.

``file://`` addresses are allowed only under ``OPENVIAS_FILE_ROOTS``; ``obs://bucket/key``
(OBS sources and ``obs`` inputs) becomes a presigned HTTPS URL of the operator's
S3-compatible endpoint (``OPENVIAS_OBS_*``), which FFmpeg then reads with range requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from openvias.domain.object_storage import object_key_problem
from openvias.domain.video_sources import PULLABLE_TYPES
from openvias.engine.media import MediaSource
from openvias.services.object_store import obs_client
from openvias.settings import Settings
from openvias.store.models import Task, VideoSource


class NotPullable(Exception):
    """The task's input cannot be analysed here (wrong type, refused path, no OBS config)."""


@dataclass(frozen=True, slots=True)
class Located:
    source: MediaSource
    stream_id: str


def locate(task: Task, video_source: VideoSource | None, settings: Settings) -> Located:
    if task.input_type == "video_source":
        if video_source is None:
            raise NotPullable("the task's video source no longer exists")
        if video_source.type not in PULLABLE_TYPES:
            raise NotPullable(
                f"video sources of type {video_source.type} are stored but not pulled yet"
            )
        address = video_source.stream_path
        stream_id = video_source.id
    else:
        data = _first_data(task.input)
        if task.input_type == "url":
            address = str(data.get("url") or "")
        elif task.input_type == "obs":
            bucket, path = str(data.get("bucket") or ""), str(data.get("path") or "")
            address = f"obs://{bucket}/{path.lstrip('/')}"
        else:
            raise NotPullable(f"inputs of type {task.input_type} are stored but not pulled yet")
        stream_id = task.id
    if not address:
        raise NotPullable("the task's input has no address")
    return Located(source=resolve_address(address, settings), stream_id=stream_id)


def resolve_address(address: str, settings: Settings) -> MediaSource:
    """A pullable source for a URL, an ``obs://`` address or a local path."""
    parts = urlsplit(address)
    scheme = parts.scheme.lower()
    if scheme == "obs":
        key = parts.path.lstrip("/")
        problem = object_key_problem(key)
        if problem is not None:  # stored by a release that accepted it
            raise NotPullable(f"{address} cannot be read: {problem}")
        return MediaSource(
            url=presign_obs(parts.netloc, key, settings),
            live=False,
            operator_configured=True,
        )
    if scheme in ("", "file"):
        path = Path(unquote(parts.path) if scheme == "file" else address)
        return MediaSource(url=str(allowed_file(path, settings)), live=False)
    return MediaSource.from_url(address)


def allowed_file(path: Path, settings: Settings) -> Path:
    resolved = path.resolve()
    for root in settings.resolved_file_roots:
        if resolved.is_relative_to(root):
            return resolved
    raise NotPullable(
        f"{path} is outside the folders video files may be read from (OPENVIAS_FILE_ROOTS)"
    )


def presign_obs(bucket: str, key: str, settings: Settings) -> str:
    if not settings.obs_endpoint:
        raise NotPullable("OBS inputs need OPENVIAS_OBS_ENDPOINT (and credentials) configured")
    client = obs_client(settings)
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=6 * 3600
    )
    return str(url)


def _first_data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data") or [{}]
    first = data[0] if isinstance(data, list) and data else {}
    return first if isinstance(first, dict) else {}
