"""AK/SK pairs: made, looked up for signature checks and deleted, their secrets sealed at
rest under a key kept outside the database (``domain/secret_box.py``).

The key is ``OPENVIAS_SECRET_KEY`` when set (the one choice for several servers on one
PostgreSQL database), else the file ``$OPENVIAS_DATA_DIR/secret.key`` (mode 0600), made on
first start. A database that holds sealed secrets and no key to open them is refused: a
new key would silently turn every access key into a useless one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import utcnow
from openvias.domain.ids import new_access_key
from openvias.domain.secret_box import (
    SecretBox,
    SecretKeyError,
    is_sealed,
    new_key_text,
    parse_key,
)
from openvias.errors import NotFound, OpenViasError
from openvias.services.identity import Principal
from openvias.settings import Settings
from openvias.store.db import is_sqlite
from openvias.store.models import AccessKey, User
from openvias.store.repositories import identity as rows

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"


class SecretKeyUnavailable(OpenViasError):
    """The secret key is missing, malformed, or not the one that sealed the database's
    secrets: the server refuses to start (an operator error, not a request's)."""


class AccessKeyService:
    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self.session = session
        self.box = box

    async def create(self, user: User) -> tuple[str, str]:
        access, secret = new_access_key()
        self.session.add(
            AccessKey(
                access=access,
                secret=self.box.seal(secret, access),
                user_id=user.id,
                enabled=True,
                created_at=utcnow(),
            )
        )
        await self.session.flush()
        return access, secret

    async def lookup(self, access: str) -> tuple[str, Principal] | None:
        """The secret and owner of an enabled key of an enabled user, else None."""
        found = await rows.access_key_with_user(self.session, access)
        if found is None or not found[0].enabled or not found[1].enabled:
            return None
        key, user = found
        try:
            secret = self.box.open(key.secret, access)
        except SecretKeyError:
            log.error("access key %s: its secret does not open with the secret key", access)
            return None
        return secret, Principal(user.id, user.name, user.domain_id)


async def delete_access_key(session: AsyncSession, access: str) -> None:
    """The key stops signing at once: signed requests look their key up every time."""
    if not await rows.delete_access_key(session, access):
        raise NotFound(f"Access key {access} not found")


async def prepare_secret_box(session: AsyncSession, settings: Settings) -> SecretBox:
    """The key that seals this database's secrets (made on first start when none is given),
    checked against a sealed secret; plaintext secrets of older releases are sealed."""
    stored = await rows.stored_secrets(session)
    sealed = [(access, value) for access, value in stored if is_sealed(value)]
    box = SecretBox(_key(settings, may_create=not sealed))
    if sealed:
        access, value = sealed[0]
        try:
            box.open(value, access)
        except SecretKeyError as exc:
            raise SecretKeyUnavailable(
                "the secret key does not open the access-key secrets of this database: "
                "give the key they were sealed with (OPENVIAS_SECRET_KEY or "
                f"{settings.data_dir / KEY_FILE})"
            ) from exc
    plaintext = [(access, value) for access, value in stored if not is_sealed(value)]
    for access, value in plaintext:
        await rows.store_secret(session, access, box.seal(value, access))
    if plaintext:
        await session.flush()
        log.info("sealed %d access-key secret(s) stored in plain text", len(plaintext))
    return box


def _key(settings: Settings, *, may_create: bool) -> bytes:
    if settings.secret_key is not None:
        try:
            return parse_key(settings.secret_key.get_secret_value())
        except SecretKeyError as exc:
            raise SecretKeyUnavailable(f"OPENVIAS_SECRET_KEY: {exc}") from exc
    path = settings.data_dir / KEY_FILE
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        if not may_create:
            raise SecretKeyUnavailable(
                f"the access-key secrets of this database are sealed and {path} is missing: "
                "restore that file or set OPENVIAS_SECRET_KEY"
            ) from None
        shared = not is_sqlite(settings.resolved_database_url)
        return parse_key(_create_key_file(path, shared=shared))
    except (OSError, UnicodeError) as exc:
        raise SecretKeyUnavailable(f"{path} cannot be read: {exc}") from exc
    try:
        return parse_key(text)
    except SecretKeyError as exc:
        raise SecretKeyUnavailable(f"{path}: {exc}") from exc


def _create_key_file(path: Path, *, shared: bool) -> str:
    text = new_key_text()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    log.warning("made the secret key %s: back it up with the database", path)
    if shared:
        log.warning(
            "every server and `openvias admin` on this database needs that key: "
            "set OPENVIAS_SECRET_KEY to its content on all of them"
        )
    return text
