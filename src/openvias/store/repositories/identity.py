"""Identity rows changed in bulk: tokens ended or purged, access keys and their secrets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import AccessKey, Grant, Token, User


async def revoke_user_tokens(session: AsyncSession, user_id: str, now: datetime) -> int:
    """End every live token of a user; returns how many."""
    result = await session.execute(
        update(Token)
        .where(Token.user_id == user_id, Token.revoked_at.is_(None), Token.expires_at > now)
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_expired_tokens(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(Token).where(Token.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_grant(session: AsyncSession, user_id: str, project_id: str) -> bool:
    result = await session.execute(
        delete(Grant).where(Grant.user_id == user_id, Grant.project_id == project_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def access_key_with_user(session: AsyncSession, access: str) -> tuple[AccessKey, User] | None:
    row = (
        await session.execute(
            select(AccessKey, User)
            .join(User, User.id == AccessKey.user_id)
            .where(AccessKey.access == access)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def delete_access_key(session: AsyncSession, access: str) -> bool:
    result = await session.execute(delete(AccessKey).where(AccessKey.access == access))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def stored_secrets(session: AsyncSession) -> Sequence[tuple[str, str]]:
    """(access, stored secret) of every key."""
    rows = await session.execute(select(AccessKey.access, AccessKey.secret))
    return [(str(access), str(secret)) for access, secret in rows]


async def store_secret(session: AsyncSession, access: str, stored: str) -> None:
    await session.execute(update(AccessKey).where(AccessKey.access == access).values(secret=stored))
