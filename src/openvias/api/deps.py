"""Request dependencies: state, the per-request transaction, the calling project."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.api.auth import authenticate
from openvias.api.state import AppState
from openvias.errors import Forbidden
from openvias.schemas.common import PROJECT_ID_PATTERN
from openvias.services.identity import IdentityService, Principal


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.openvias
    return state


State = Annotated[AppState, Depends(get_state)]


async def get_session(state: State) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed when the endpoint returns."""
    async with state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_principal(request: Request, session: Session, state: State) -> Principal:
    return await authenticate(request, session, state)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


@dataclass(frozen=True, slots=True)
class ProjectContext:
    project_id: str
    principal: Principal


async def get_project(
    principal: CurrentPrincipal,
    session: Session,
    project_id: Annotated[str, Path(pattern=PROJECT_ID_PATTERN, max_length=64)],
) -> ProjectContext:
    if not await IdentityService(session).may_use_project(principal, project_id):
        raise Forbidden(f"Project {project_id} may not be used with these credentials.")
    return ProjectContext(project_id, principal)


CurrentProject = Annotated[ProjectContext, Depends(get_project)]
