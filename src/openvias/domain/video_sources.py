"""Video-source rules: the ``type_config`` XML, stream addresses and status levels."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from openvias.domain.object_storage import object_key_problem

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
#: expat's "junk after document element": more than one top-level element.
_JUNK_AFTER_ROOT = 9


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
    """Parse either documented layout: ``<type_config><url_address>…`` (one root, which may
    follow an XML declaration) or ``<type>URL</type><config><URL_ADDRESS>…</URL_ADDRESS>
    </config>`` (a fragment without a single root). A DTD (and so any entity declaration:
    entity bombs, external entities) is refused; text outside the elements is refused."""
    values: dict[str, str] = {}
    for element in _elements(xml.strip()):
        _flatten(element, values)
    return TypeConfig(values)


def _elements(text: str) -> list[Element]:
    if not text:
        return []
    try:
        return [ElementTree.fromstring(text, forbid_dtd=True)]
    except DefusedXmlException as exc:
        raise TypeConfigError("type_config may not declare a DTD or entities") from exc
    except ElementTree.ParseError as exc:
        if exc.code != _JUNK_AFTER_ROOT:
            raise TypeConfigError(f"type_config is not well-formed XML: {exc}") from exc
    # Several top-level elements: parse them as the children of a wrapper.
    try:
        wrapper = ElementTree.fromstring(f"<fragment>{text}</fragment>", forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise TypeConfigError(f"type_config is not well-formed XML: {exc}") from exc
    if (wrapper.text or "").strip() or any((child.tail or "").strip() for child in wrapper):
        raise TypeConfigError("type_config may hold only XML elements at its top level")
    return list(wrapper)


def _flatten(element: Element, into: dict[str, str]) -> None:
    text = (element.text or "").strip()
    if text:
        into.setdefault(element.tag.lower(), text)
    for child in element:
        _flatten(child, into)


_BUCKET_RE = re.compile(r"^[a-z0-9](?!.*[-.][-.].*)([a-z0-9-.]{1,61})[a-z0-9]$")


def stream_path_for(source_type: str, config: TypeConfig) -> str:
    """The address shown as ``stream_path``; validated for the types the engine pulls."""
    if source_type in ("url", "RTSP_STREAM"):
        url = config.first(*_URL_TAGS)
        if not url:
            raise TypeConfigError("type_config of a url source needs <url_address>")
        check_stream_url(url)
        return url
    if source_type == "obs":
        bucket, path = config.first("bucket", "bucket_name"), config.first("path", "object")
        key = path.lstrip("/")
        if not bucket or not key:
            raise TypeConfigError("type_config of an obs source needs <bucket> and <path>")
        if not _BUCKET_RE.match(bucket):
            raise TypeConfigError(f"invalid OBS bucket name: {bucket}")
        problem = object_key_problem(key)
        if problem is not None:
            raise TypeConfigError(f"invalid OBS path: {problem}")
        return f"obs://{bucket}/{key}"
    return config.first(*_URL_TAGS)


def check_stream_url(url: str) -> None:
    """An http(s), rtsp(s) or rtmp URL with a host (and a valid port, if any), or a file
    URL with a path; no whitespace or control characters anywhere."""
    invalid = TypeConfigError(
        "url_address must be an http, https, rtsp, rtsps, rtmp or file URL: " + url
    )
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise invalid
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a non-numeric or out-of-range port
        host = parts.hostname
    except ValueError as exc:
        raise invalid from exc
    scheme = parts.scheme.lower()
    if scheme not in PULLABLE_SCHEMES:
        raise invalid
    if not (parts.path if scheme == "file" else host):
        raise invalid
