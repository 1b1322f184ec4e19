"""A Python client for every operation of openvias (VIAS v2, VAS v2 tasks and the
openvias extensions). It imports the wire models and the signing rules, never the server.

    with Client.with_password(url, "admin", password, "openvias", "default") as client:
        created = client.create_video_source(VideoSourceCreate(...))
"""

from openvias.client.auth import AkSkAuth, TokenAuth
from openvias.client.client import Client
from openvias.client.errors import ViasError

__all__ = ["AkSkAuth", "Client", "TokenAuth", "ViasError"]
