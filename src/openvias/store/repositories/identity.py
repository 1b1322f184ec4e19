"""Queries over identity rows: domains, users, projects and grants looked up, tokens checked,
ended or purged, access keys and their secrets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import AccessKey, Domain, Grant, Project, Token, User


async def user_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def domain_named(session: AsyncSession, name: str) -> Domain | None:
    return await session.scalar(select(Domain).where(Domain.name == name))


async def users_named(session: AsyncSession, name: str, domain_name: str | None) -> list[User]:
    """The users called ``name`` (in the domain ``domain_name`` when given)."""
    stmt = select(User).where(User.name == name)
    if domain_name is not None:
        stmt = stmt.join(Domain, Domain.id == User.domain_id).where(Domain.name == domain_name)
    return list(await session.scalars(stmt))


async def projects_named(
    session: AsyncSession, name_or_id: str, domain_id: str | None
) -> list[Project]:
    """The projects whose name or id is ``name_or_id`` (in the domain ``domain_id`` when given)."""
    stmt = select(Project).where((Project.name == name_or_id) | (Project.id == name_or_id))
    if domain_id is not None:
        stmt = stmt.where(Project.domain_id == domain_id)
    return list(await session.scalars(stmt))


async def user_with_domain(
    session: AsyncSession, user_name: str, *, domain_id: str | None, domain_name: str | None
) -> tuple[User, Domain] | None:
    """The user ``user_name`` of the domain named by ``domain_id`` (preferred) or name."""
    domain_match = Domain.id == domain_id if domain_id else Domain.name == domain_name
    row = (
        await session.execute(
            select(User, Domain)
            .join(Domain, Domain.id == User.domain_id)
            .where(domain_match, User.name == user_name)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def granted_project(
    session: AsyncSession, user: User, project_id: str | None, project_name: str | None
) -> Project | None:
    """The enabled project granted to ``user``, by id or else by name in the user's domain."""
    stmt = (
        select(Project)
        .join(Grant, Grant.project_id == Project.id)
        .where(Grant.user_id == user.id, Project.enabled.is_(True))
    )
    if project_id:
        stmt = stmt.where(Project.id == project_id)
    else:
        stmt = stmt.where(Project.name == project_name, Project.domain_id == user.domain_id)
    return await session.scalar(stmt)


async def token_with_user(session: AsyncSession, digest: str) -> tuple[Token, User] | None:
    """The token ``digest`` and its user while the user is enabled and the token's project
    is enabled and still granted to the user (expiry and revocation are the caller's)."""
    row = (
        await session.execute(
            select(Token, User)
            .join(User, User.id == Token.user_id)
            .join(Project, Project.id == Token.project_id)
            .join(
                Grant,
                (Grant.user_id == Token.user_id) & (Grant.project_id == Token.project_id),
            )
            .where(
                Token.digest == digest,
                User.enabled.is_(True),
                Project.enabled.is_(True),
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def has_enabled_grant(session: AsyncSession, user_id: str, project_id: str) -> bool:
    grant = await session.scalar(
        select(Grant.project_id)
        .join(Project, Project.id == Grant.project_id)
        .where(
            Grant.user_id == user_id,
            Grant.project_id == project_id,
            Project.enabled.is_(True),
        )
    )
    return grant is not None


async def granted_projects(session: AsyncSession, user_id: str, name: str | None) -> list[Project]:
    """The projects granted to the user (those named ``name`` when given), by name."""
    stmt = (
        select(Project)
        .join(Grant, Grant.project_id == Project.id)
        .where(Grant.user_id == user_id)
        .order_by(Project.name)
    )
    if name is not None:
        stmt = stmt.where(Project.name == name)
    return list(await session.scalars(stmt))


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
