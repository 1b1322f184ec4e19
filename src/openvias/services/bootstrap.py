"""First start: domain ``openvias``, user ``admin`` and project ``default``."""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.services.identity import IdentityService
from openvias.store.repositories.identity import user_count

log = logging.getLogger(__name__)

BOOTSTRAP_DOMAIN = "openvias"
BOOTSTRAP_USER = "admin"
BOOTSTRAP_PROJECT = "default"


async def bootstrap_if_empty(
    session: AsyncSession, admin_password: str | None, data_dir: Path
) -> bool:
    """Create the bootstrap identity when no user exists; returns whether it did."""
    if await user_count(session):
        return False
    password = admin_password or secrets.token_urlsafe(18)
    identity = IdentityService(session)
    user = await identity.create_user(BOOTSTRAP_DOMAIN, BOOTSTRAP_USER, password)
    project = await identity.create_project(BOOTSTRAP_DOMAIN, BOOTSTRAP_PROJECT)
    await identity.grant(user, project)
    if admin_password is None:
        _write_initial_credentials(data_dir, password, project.id)
        log.info("bootstrap admin created; password written to initial-credentials.json")
    else:
        log.info("bootstrap admin created with OPENVIAS_ADMIN_PASSWORD")
    return True


def _write_initial_credentials(data_dir: Path, password: str, project_id: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "initial-credentials.json"
    payload = {
        "domain": BOOTSTRAP_DOMAIN,
        "user": BOOTSTRAP_USER,
        "password": password,
        "project": BOOTSTRAP_PROJECT,
        "project_id": project_id,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2)
    path.chmod(0o600)
