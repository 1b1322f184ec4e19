"""VIAS errors as exceptions."""

from __future__ import annotations

from typing import Any

import httpx


class ViasError(Exception):
    """A failed call: the HTTP status and the VIAS error body (``error_code``,
    ``error_msg``). A body that is not a VIAS error (a proxy's page, say) leaves
    ``error_code`` empty and puts the text in ``error_msg``."""

    def __init__(self, status: int, error_code: str, error_msg: str, body: Any = None) -> None:
        super().__init__(f"{status} {error_code}: {error_msg}" if error_code else f"{status}")
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.body = body

    @classmethod
    def from_response(cls, response: httpx.Response) -> ViasError:
        try:
            body: Any = response.json()
        except ValueError:
            return cls(response.status_code, "", response.text[:1000])
        if isinstance(body, dict) and isinstance(body.get("error_code"), str):
            return cls(
                response.status_code, body["error_code"], str(body.get("error_msg", "")), body
            )
        return cls(response.status_code, "", response.text[:1000], body)
