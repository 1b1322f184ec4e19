"""Identifier formats that match the VIAS path patterns."""

from __future__ import annotations

import secrets
import string
import uuid


def new_resource_id() -> str:
    """UUID4 text (36 chars): matches ``^[a-z0-9-_]{4,36}$`` (sources, groups)."""
    return str(uuid.uuid4())


def new_hex_id() -> str:
    """32 lowercase hex: projects, users, tasks (``^[0-9a-f]{32}$``)."""
    return uuid.uuid4().hex


_AK_ALPHABET = string.ascii_uppercase + string.digits


def new_access_key() -> tuple[str, str]:
    """An (access, secret) pair shaped like Huawei Cloud's: 20 and 40 characters."""
    access = "".join(secrets.choice(_AK_ALPHABET) for _ in range(20))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    return access, secret
