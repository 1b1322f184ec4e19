"""ORM models, one module per aggregate; imported here so metadata is complete."""

from openvias.store.models.identity import AccessKey, Domain, Grant, Project, Token, User
from openvias.store.models.video import VideoGroup, VideoGroupMember, VideoSource

__all__ = [
    "AccessKey",
    "Domain",
    "Grant",
    "Project",
    "Token",
    "User",
    "VideoGroup",
    "VideoGroupMember",
    "VideoSource",
]
