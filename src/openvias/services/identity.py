"""Domains, users, projects, grants, access keys and tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import utcnow
from openvias.domain.ids import new_hex_id
from openvias.errors import Conflict, InvalidParameter, NotFound, Unauthorized
from openvias.services.login_guard import LoginGuard, LoginName
from openvias.services.passwords import hash_password
from openvias.store.models import Domain, Grant, Project, Token, User
from openvias.store.repositories import identity as rows

NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling; ``token_project_id`` is set for project-scoped tokens."""

    user_id: str
    user_name: str
    domain_id: str
    token_project_id: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    value: str
    issued_at: datetime
    expires_at: datetime
    user: User
    domain: Domain
    project: Project


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _check_name(kind: str, name: str) -> None:
    if not NAME_RE.match(name):
        raise InvalidParameter(f"Invalid {kind} name: use 1-64 letters, digits or _.@-", param=kind)


def check_password(password: str) -> None:
    if len(password) < 8:
        raise InvalidParameter("The password must have at least 8 characters", param="password")


class IdentityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- administration -------------------------------------------------------------
    async def ensure_domain(self, name: str) -> Domain:
        _check_name("domain", name)
        domain = await rows.domain_named(self.session, name)
        if domain is None:
            domain = Domain(id=new_hex_id(), name=name, created_at=utcnow())
            self.session.add(domain)
            await self.session.flush()
        return domain

    async def create_user(self, domain_name: str, name: str, password: str) -> User:
        _check_name("user", name)
        check_password(password)
        domain = await self.ensure_domain(domain_name)
        user = User(
            id=new_hex_id(),
            domain_id=domain.id,
            name=name,
            password_hash=hash_password(password),
            enabled=True,
            created_at=utcnow(),
        )
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"User {name} already exists in domain {domain_name}") from exc
        return user

    async def create_project(self, domain_name: str, name: str) -> Project:
        _check_name("project", name)
        domain = await self.ensure_domain(domain_name)
        project = Project(
            id=new_hex_id(), domain_id=domain.id, name=name, enabled=True, created_at=utcnow()
        )
        self.session.add(project)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"Project {name} already exists in domain {domain_name}") from exc
        return project

    async def find_user(self, name: str, domain_name: str | None = None) -> User:
        users = await rows.users_named(self.session, name, domain_name)
        if len(users) != 1:
            raise NotFound(
                f"User {name} not found"
                if not users
                else f"User {name} is ambiguous; give --domain"
            )
        return users[0]

    async def find_project(self, name_or_id: str, domain_id: str | None = None) -> Project:
        projects = await rows.projects_named(self.session, name_or_id, domain_id)
        if len(projects) != 1:
            raise NotFound(f"Project {name_or_id} not found or ambiguous")
        return projects[0]

    async def grant(self, user: User, project: Project) -> None:
        exists = await self.session.get(Grant, (user.id, project.id))
        if exists is None:
            self.session.add(Grant(user_id=user.id, project_id=project.id, created_at=utcnow()))
            await self.session.flush()

    # -- authentication -------------------------------------------------------------
    async def issue_token(
        self,
        *,
        domain_name: str | None,
        user_name: str,
        password: str,
        project_id: str | None,
        project_name: str | None,
        ttl: timedelta,
        guard: LoginGuard,
        client: str,
        domain_id: str | None = None,
    ) -> IssuedToken:
        """IAM password authentication; the domain is named by ``domain_id`` (preferred,
        as IAM does) or ``domain_name``. ``guard`` may refuse the name or the ``client``
        address (429) before anything is looked up; an unknown user and a wrong password
        fail alike (same answer, a verification against a dummy hash, one failure counted)."""
        attempted: LoginName = (domain_id or "", domain_name or "", user_name)
        guard.check(attempted, client)
        found = await rows.user_with_domain(
            self.session, user_name, domain_id=domain_id, domain_name=domain_name
        )
        user, domain = found if found else (None, None)
        if not await guard.verify(user.password_hash if user else None, password):
            guard.failed(attempted, client)
            raise Unauthorized("The username or password is wrong.")
        assert user is not None
        assert domain is not None
        guard.succeeded(attempted)
        if not user.enabled:
            raise Unauthorized("The user is disabled.")
        project = await self._granted_project(user, project_id, project_name)
        value = secrets.token_urlsafe(48)
        now = utcnow()
        token = Token(
            digest=token_digest(value),
            user_id=user.id,
            project_id=project.id,
            issued_at=now,
            expires_at=now + ttl,
        )
        self.session.add(token)
        await self.session.flush()
        return IssuedToken(value, now, now + ttl, user, domain, project)

    async def _granted_project(
        self, user: User, project_id: str | None, project_name: str | None
    ) -> Project:
        project = await rows.granted_project(self.session, user, project_id, project_name)
        if project is None:
            raise Unauthorized("The user has no access to the requested project scope.")
        return project

    async def principal_for_token(self, value: str) -> tuple[Principal, datetime] | None:
        """The caller a token stands for while it is valid: not expired nor revoked, its
        user enabled, and its project enabled and still granted to the user (Keystone ends
        a token when any of these goes, so it is refused with 401, not 403)."""
        found = await rows.token_with_user(self.session, token_digest(value))
        if found is None:
            return None
        token, user = found
        expires_at = _aware(token.expires_at)
        if token.revoked_at is not None or expires_at <= utcnow():
            return None
        return Principal(user.id, user.name, user.domain_id, token.project_id), expires_at

    async def revoke_token(self, value: str) -> bool:
        token = await self.session.get(Token, token_digest(value))
        if token is None or token.revoked_at is not None:
            return False
        token.revoked_at = utcnow()
        await self.session.flush()
        return True

    async def may_use_project(self, principal: Principal, project_id: str) -> bool:
        if principal.token_project_id is not None:
            return principal.token_project_id == project_id
        return await rows.has_enabled_grant(self.session, principal.user_id, project_id)

    async def visible_projects(self, principal: Principal, name: str | None) -> list[Project]:
        return await rows.granted_projects(self.session, principal.user_id, name)


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
