"""IAM v3 subset: password tokens (issue, revoke) and project listing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from openvias.api.deps import CurrentPrincipal, Session, State
from openvias.api.handlers import LOGIN_ERRORS, PUBLIC_ERRORS
from openvias.errors import NotFound
from openvias.schemas.identity import (
    DomainRef,
    ProjectItem,
    ProjectList,
    ProjectRef,
    RoleRef,
    TokenBody,
    TokenRequest,
    TokenResponse,
    UserRef,
)
from openvias.services.identity import IdentityService, token_digest

router = APIRouter(tags=["Identity"], responses=PUBLIC_ERRORS)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@router.post(
    "/v3/auth/tokens",
    status_code=201,
    response_model=TokenResponse,
    responses={
        201: {"headers": {"X-Subject-Token": {"schema": {"type": "string"}}}},
        **LOGIN_ERRORS,
    },
    summary="Get a project-scoped token with a user name and password (IAM v3)",
)
async def create_token(
    body: TokenRequest, request: Request, session: Session, state: State
) -> JSONResponse:
    user = body.auth.identity.password.user
    issued = await IdentityService(session).issue_token(
        domain_name=user.domain.name,
        domain_id=user.domain.id,
        user_name=user.name,
        password=user.password,
        project_id=body.auth.scope.project.id,
        project_name=body.auth.scope.project.name,
        ttl=timedelta(seconds=state.settings.token_ttl_seconds),
        guard=state.login_guard,
        client=request.client.host if request.client else "",
    )
    domain = DomainRef(id=issued.domain.id, name=issued.domain.name)
    payload = TokenResponse(
        token=TokenBody(
            expires_at=_iso(issued.expires_at),
            issued_at=_iso(issued.issued_at),
            methods=["password"],
            project=ProjectRef(id=issued.project.id, name=issued.project.name, domain=domain),
            user=UserRef(id=issued.user.id, name=issued.user.name, domain=domain),
            roles=[RoleRef(id="0", name="op_service")],
        )
    )
    return JSONResponse(
        payload.model_dump(), status_code=201, headers={"X-Subject-Token": issued.value}
    )


@router.delete(
    "/v3/auth/tokens",
    status_code=204,
    response_class=Response,
    summary="Revoke the token given in X-Subject-Token",
)
async def revoke_token(
    principal: CurrentPrincipal,
    session: Session,
    state: State,
    x_subject_token: Annotated[str, Header(min_length=1)],
) -> Response:
    identity = IdentityService(session)
    found = await identity.principal_for_token(x_subject_token)
    if found is None or found[0].user_id != principal.user_id:
        raise NotFound("The token does not exist or belongs to another user.")
    await identity.revoke_token(x_subject_token)
    # Commit before evicting, so no request of this process can re-cache the token from a
    # read that still saw it valid.
    await session.commit()
    state.token_cache.evict(token_digest(x_subject_token))
    return Response(status_code=204)


@router.get("/v3/projects", response_model=ProjectList, summary="List the caller's projects")
@router.get("/v3/auth/projects", response_model=ProjectList, include_in_schema=False)
async def list_projects(
    principal: CurrentPrincipal,
    session: Session,
    name: Annotated[str | None, Query(max_length=64)] = None,
) -> ProjectList:
    projects = await IdentityService(session).visible_projects(principal, name)
    return ProjectList(
        projects=[
            ProjectItem(
                id=p.id,
                name=p.name,
                domain_id=p.domain_id,
                enabled=p.enabled,
                parent_id=p.domain_id,
            )
            for p in projects
        ],
        links={"self": "/v3/projects", "next": None, "previous": None},
    )
