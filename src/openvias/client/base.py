"""What every operation shares: the project path, request bodies from the wire models,
responses parsed into them, errors raised as :class:`ViasError`, and paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from openvias.client.errors import ViasError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

#: A query parameter's value; a list repeats the parameter.
QueryValue = str | int | bool | Sequence[str]
#: A request body: the operation's wire model, or a mapping validated into it before sending.
Body = BaseModel | Mapping[str, Any]


def segment(value: str | int) -> str:
    """A path parameter, percent-encoded so that it stays one segment."""
    return quote(str(value), safe="")


def body_json(model: type[M], body: M | Mapping[str, Any]) -> Any:
    """The JSON of a request body, validated by its wire model (a mapping too, so a bad
    field fails here, before anything is sent). ``None`` fields are left out: on the wire
    an absent field and a null mean the same ("keep the stored value")."""
    validated = body if isinstance(body, model) else model.model_validate(body)
    return validated.model_dump(mode="json", exclude_none=True)


def query(**params: QueryValue | None) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


class Operations:
    """The base of every group of operations: one ``httpx.Client`` bound to one project."""

    http: httpx.Client
    project_id: str

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """``path`` is below ``/v2/{project_id}``; any status but 2xx raises ViasError."""
        kwargs: dict[str, Any] = {"params": params} if params else {}
        if json is not None:
            kwargs["json"] = json
        url = f"/v2/{segment(self.project_id)}{path}"
        response = self.http.request(method, url, **kwargs)
        if not response.is_success:
            raise ViasError.from_response(response)
        return response

    def _call(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> M:
        return model.model_validate(self._send(method, path, json=json, params=params).json())

    def _call_as(self, adapter: TypeAdapter[T], method: str, path: str, json: Any = None) -> T:
        return adapter.validate_python(self._send(method, path, json=json).json())


def iterate_pages(fetch: Callable[[int], Sequence[T]], page_size: int) -> Iterator[T]:
    """Every item of a list operation: page ``0, 1, 2 ...`` (``fetch`` turns the index into
    the operation's own page number or offset) until a page comes back short."""
    index = 0
    while True:
        items = fetch(index)
        yield from items
        if len(items) < page_size:
            return
        index += 1
