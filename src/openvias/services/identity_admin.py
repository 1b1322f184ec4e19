"""Operator changes to who may do what (``openvias admin``): grants taken back, users and
projects disabled or enabled, passwords set, access keys deleted.

None of them needs to reach a running server: tokens are checked against the grant, the
user and the project whenever they are verified (``principal_for_token``). On PostgreSQL
these writes empty the token caches of every running server before its next request
(``api/token_coherence.py``); on SQLite a server verifies a cached token again at most
``auth_cache_seconds`` after caching it. Access keys are looked up on every signed request.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import utcnow
from openvias.errors import NotFound
from openvias.services.identity import IdentityService, check_password
from openvias.services.passwords import hash_password
from openvias.store.models import Domain, Project, User
from openvias.store.repositories import identity as rows


class IdentityAdmin:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.identity = IdentityService(session)

    async def domain(self, name: str) -> Domain:
        found = await rows.domain_named(self.session, name)
        if found is None:
            raise NotFound(f"Domain {name} not found")
        return found

    async def user(self, domain_name: str, name: str) -> User:
        await self.domain(domain_name)
        return await self.identity.find_user(name, domain_name)

    async def project(self, domain_name: str, name_or_id: str) -> Project:
        domain = await self.domain(domain_name)
        return await self.identity.find_project(name_or_id, domain.id)

    async def revoke_grant(self, user: User, project: Project) -> None:
        if not await rows.delete_grant(self.session, user.id, project.id):
            raise NotFound(f"User {user.name} has no grant on project {project.name}")

    async def set_user_enabled(self, user: User, enabled: bool) -> None:
        user.enabled = enabled
        await self.session.flush()

    async def set_project_enabled(self, project: Project, enabled: bool) -> None:
        project.enabled = enabled
        await self.session.flush()

    async def set_password(self, user: User, password: str) -> int:
        """Set a user's password and end their live tokens; returns how many ended."""
        check_password(password)
        user.password_hash = hash_password(password)
        await self.session.flush()
        return await rows.revoke_user_tokens(self.session, user.id, utcnow())
