"""IAM v3 subset: password tokens and project listing."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openvias.schemas.common import EncodableText


class _Lenient(EncodableText):
    model_config = ConfigDict(extra="ignore")


class NamedRef(_Lenient):
    id: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=64)


class IdOrNameRef(NamedRef):
    """A domain or project reference: ``id`` or ``name`` (``id`` wins when both)."""

    @model_validator(mode="after")
    def _id_or_name(self) -> IdOrNameRef:
        if not (self.id or self.name):
            raise ValueError("give an id or a name")
        return self


class PasswordUser(_Lenient):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    domain: IdOrNameRef


class PasswordIdentity(_Lenient):
    user: PasswordUser


class Identity(_Lenient):
    methods: list[Literal["password"]] = Field(min_length=1)
    password: PasswordIdentity


class ProjectScope(_Lenient):
    project: IdOrNameRef


class Auth(_Lenient):
    identity: Identity
    scope: ProjectScope


class TokenRequest(_Lenient):
    auth: Auth


class DomainRef(BaseModel):
    id: str
    name: str


class ProjectRef(BaseModel):
    id: str
    name: str
    domain: DomainRef


class UserRef(BaseModel):
    id: str
    name: str
    domain: DomainRef
    password_expires_at: str = ""


class RoleRef(BaseModel):
    id: str
    name: str


class TokenBody(BaseModel):
    expires_at: str
    issued_at: str
    methods: list[str]
    project: ProjectRef
    user: UserRef
    roles: list[RoleRef]
    catalog: list[dict[str, object]] = Field(default_factory=list)


class TokenResponse(BaseModel):
    token: TokenBody


class ProjectItem(BaseModel):
    id: str
    name: str
    domain_id: str
    enabled: bool
    description: str = ""
    is_domain: bool = False
    parent_id: str


class ProjectList(BaseModel):
    projects: list[ProjectItem]
    links: dict[str, str | None] = Field(default_factory=dict)
