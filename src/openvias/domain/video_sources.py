"""Video-source rules: the ``type_config`` XML, stream addresses and status levels."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

SOURCE_TYPES = (
    "obs",
    "vcn",
    "url",
    "restful",
    "camera",
    "VIDEO_PLATFORM",
    "VIDEO_IMAGE_DB",
    "RTSP_STREAM",
)
#: Source types whose video the engine can pull itself; the others are stored only.
PULLABLE_TYPES = frozenset({"url", "obs", "RTSP_STREAM"})
PULLABLE_SCHEMES = frozenset({"http", "https", "rtsp", "rtsps", "rtmp", "file"})

_URL_TAGS = ("url_address", "url", "rtsp_url", "stream_url", "address")


class SourceStatus(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    ABNORMAL = "abnormal"

    @property
    def level(self) -> str:
        return {"online": "1", "offline": "2", "abnormal": "9"}[self.value]

    @property
    def display_name(self) -> str:
        return {"online": "在线", "offline": "离线", "abnormal": "异常"}[self.value]

    @property
    def wire_status(self) -> str:
        return self.value.capitalize()

    @classmethod
    def from_level(cls, level: str) -> SourceStatus:
        return {"1": cls.ONLINE, "2": cls.OFFLINE, "9": cls.ABNORMAL}[level]


class TypeConfigError(ValueError):
    """The ``type_config`` XML is malformed or lacks what its type needs."""


@dataclass(frozen=True, slots=True)
class TypeConfig:
    """What openvias reads out of a ``type_config``: a flat, lower-cased tag → text map."""

    values: dict[str, str]

    def first(self, *tags: str) -> str:
        for tag in tags:
            if self.values.get(tag):
                return self.values[tag]
        return ""


def parse_type_config(xml: str) -> TypeConfig:
    """Parse either documented layout: ``<type_config><url_address>…`` or
    ``<type>URL</type><config><URL_ADDRESS>…</URL_ADDRESS></config>`` (no single root)."""
    try:
        root = ElementTree.fromstring(f"<root>{xml}</root>")
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise TypeConfigError(f"type_config is not well-formed XML: {exc}") from exc
    values: dict[str, str] = {}
    _flatten(root, values)
    return TypeConfig(values)


def _flatten(element: Element, into: dict[str, str]) -> None:
    for child in element:
        text = (child.text or "").strip()
        if text:
            into.setdefault(child.tag.lower(), text)
        _flatten(child, into)


_BUCKET_RE = re.compile(r"^[a-z0-9](?!.*[-.][-.].*)([a-z0-9-.]{1,61})[a-z0-9]$")


def stream_path_for(source_type: str, config: TypeConfig) -> str:
    """The address shown as ``stream_path``; validated for the types the engine pulls."""
    if source_type in ("url", "RTSP_STREAM"):
        url = config.first(*_URL_TAGS)
        if not url:
            raise TypeConfigError("type_config of a url source needs <url_address>")
        parts = urlsplit(url)
        if parts.scheme.lower() not in PULLABLE_SCHEMES or not (parts.netloc or parts.path):
            raise TypeConfigError(
                "url_address must be an http, https, rtsp, rtmp or file URL: " + url
            )
        return url
    if source_type == "obs":
        bucket, path = config.first("bucket", "bucket_name"), config.first("path", "object")
        if not bucket or not path:
            raise TypeConfigError("type_config of an obs source needs <bucket> and <path>")
        if not _BUCKET_RE.match(bucket):
            raise TypeConfigError(f"invalid OBS bucket name: {bucket}")
        return f"obs://{bucket}/{path.lstrip('/')}"
    return config.first(*_URL_TAGS)
