"""Who may send a body over ``OPENVIAS_MAX_BODY_BYTES`` (a batch-task body, up to
``OPENVIAS_MAX_BATCH_BODY_BYTES``): decided from the headers alone, before more than the
small limit of the body is read, so that an anonymous client cannot make the server hold
and parse megabytes (``RequestGuard`` asks this module).

- ``X-Auth-Token``: the token is verified, as the routed app would verify it.
- An SDK-HMAC-SHA256 signature covers the body's SHA-256, which the SDK does not send
  (``X-Sdk-Content-Sha256`` only for non-JSON bodies), so the signature cannot be checked
  before the body is read. What the headers do prove is checked here: a well-formed
  Authorization, an X-Sdk-Date inside the window, an access key that exists and is enabled.
  The routed app then checks the signature over the whole body as for any request.

Either way the caller must be allowed on the path's project. A refusal is the 401 or 403
the routed app would give (the same texts: an unknown key reads as a bad signature)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Scope

from openvias.api.auth import authenticate, signer_before_body
from openvias.api.state import AppState
from openvias.errors import Forbidden, OpenViasError
from openvias.services.identity import IdentityService


class LargeBodyAdmission:
    def __init__(self, state: AppState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, project_id: str) -> OpenViasError | None:
        """None when the request may send a large body, else the error to answer with."""
        request = Request(scope)
        async with self.state.sessionmaker() as session:
            try:
                if request.headers.get("x-auth-token"):
                    principal = await authenticate(request, session, self.state)
                else:
                    principal = await signer_before_body(request, session, self.state)
                if not await IdentityService(session).may_use_project(principal, project_id):
                    raise Forbidden(f"Project {project_id} may not be used with these credentials.")
            except OpenViasError as error:
                return error
        return None
