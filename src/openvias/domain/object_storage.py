"""Rules about S3-compatible object stores (Huawei OBS included)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Huawei OBS endpoints (``obs.<region>.myhuaweicloud.<tld>``) take the bucket in the host
#: name only; other S3-compatible stores (MinIO, moto, Ceph) are safest with path style.
_HUAWEI_OBS_HOST = re.compile(r"(^|\.)obs\.[a-z0-9-]+\.myhuaweicloud\.[a-z]+$")


def addressing_style(endpoint: str) -> str:
    """boto3's ``addressing_style`` for an endpoint: "virtual" for Huawei OBS, else "path"."""
    host = (urlsplit(endpoint).hostname or "").lower()
    return "virtual" if _HUAWEI_OBS_HOST.search(host) else "path"


def object_key_problem(key: str) -> str | None:
    """Why ``key`` may not name an OBS/S3 object that openvias reads or writes; None when
    it may. One rule for every place a key comes from (task ``obs`` inputs and outputs,
    ``obs`` video sources): no empty key, no empty segment (``a//b``, a leading ``/``), and
    no ``.`` or ``..`` segment. On the store itself ``..`` is just two characters of a
    key, but openvias puts keys into URL paths (presigned GETs, path-style PUTs), and HTTP
    clients, proxies and some S3-compatible servers remove dot segments from a URL path
    (RFC 3986 §5.2.4): ``a/../b`` would be fetched as ``b``, and with path-style addressing
    ``../other-bucket/x`` leaves the configured bucket. Such keys are refused rather than
    sent with a meaning that depends on what lies in between."""
    if not key:
        return "the object key is empty"
    segments = key.split("/")
    if any(segment in (".", "..") for segment in segments):
        return "object keys may not have a '.' or '..' segment"
    if "" in segments[:-1]:
        return "object keys may not start with '/' or hold '//'"
    return None
