"""The client: every VIAS, VAS and openvias operation of one project, over ``httpx``."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from openvias.client.algorithms import AlgorithmOperations
from openvias.client.auth import TOKEN_PATH, AkSkAuth, TokenAuth
from openvias.client.edge_pools import EdgePoolOperations
from openvias.client.errors import ViasError
from openvias.client.extensions import ExtensionOperations
from openvias.client.task_center import TaskCenterOperations
from openvias.client.vas import VasOperations
from openvias.client.video_center import VideoCenterOperations
from openvias.schemas.identity import ProjectList

DEFAULT_TIMEOUT = 30.0


class Client(
    VideoCenterOperations,
    TaskCenterOperations,
    VasOperations,
    AlgorithmOperations,
    EdgePoolOperations,
    ExtensionOperations,
):
    """One method per operation of VIAS v2, VAS v2 tasks and the openvias extensions,
    named after its operation id (``CreateVideoSource`` is :meth:`create_video_source`);
    ``iter_*`` methods walk every page of a list. Requests take the operation's wire model
    (or a mapping validated into it), answers are parsed into theirs, and a failed call
    raises :class:`ViasError`.

    Build it with :meth:`with_password` (an IAM token, renewed before it expires) or
    :meth:`with_access_key` (AK/SK signatures); close it, or use it as a context manager.
    """

    def __init__(self, http: httpx.Client, project_id: str) -> None:
        self.http = http
        self.project_id = project_id

    @classmethod
    def with_password(
        cls,
        base_url: str,
        user: str,
        password: str,
        domain: str,
        project: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        **httpx_options: Any,
    ) -> Client:
        """Log in with ``POST /v3/auth/tokens`` (project scope by name) at once."""
        base_url = base_url.rstrip("/")
        auth = TokenAuth(f"{base_url}{TOKEN_PATH}", user, password, domain, project)
        http = httpx.Client(base_url=base_url, auth=auth, timeout=timeout, **httpx_options)
        try:
            auth.login(http)
        except BaseException:
            http.close()
            raise
        return cls(http, auth.project_id)

    @classmethod
    def with_access_key(
        cls,
        base_url: str,
        access_key: str,
        secret_key: str,
        *,
        project_id: str = "",
        project: str = "default",
        timeout: float = DEFAULT_TIMEOUT,
        **httpx_options: Any,
    ) -> Client:
        """Sign every request with the access key. Without ``project_id``, the project
        named ``project`` is looked up (signed ``GET /v3/projects?name=``, as Huawei's SDK
        does with the region name)."""
        auth = AkSkAuth(access_key, secret_key, project_id)
        http = httpx.Client(
            base_url=base_url.rstrip("/"), auth=auth, timeout=timeout, **httpx_options
        )
        try:
            if not project_id:
                auth.project_id = _project_id(http, project)
        except BaseException:
            http.close()
            raise
        return cls(http, auth.project_id)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _project_id(http: httpx.Client, name: str) -> str:
    response = http.get("/v3/projects", params={"name": name})
    if not response.is_success:
        raise ViasError.from_response(response)
    projects = ProjectList.model_validate(response.json()).projects
    if len(projects) != 1:
        raise ViasError(404, "", f"No project named {name!r} for this access key.")
    return projects[0].id
