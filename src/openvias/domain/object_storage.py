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
