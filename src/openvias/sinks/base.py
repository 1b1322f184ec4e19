"""The contract between the delivery worker and an alarm output (a *sink*).

A sink delivers one alarm to one configured target (the task's ``output.<kind>`` object)
and says how it went; it never raises for a failed delivery. The worker records every
attempt, retries failures with backoff and dead-letters permanent ones. Sinks are plugins:
built-ins are registered in :mod:`openvias.sinks.registry`, third parties under the entry
point group ``openvias.sinks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from openvias.domain.alarms import Alarm


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt went. ``permanent`` failures are not retried (e.g. a webhook's 404,
    a refused private address); ``status_code`` is the peer's answer where there is one."""

    delivered: bool
    detail: str = ""
    permanent: bool = False
    status_code: int | None = None

    @classmethod
    def ok(cls, detail: str = "", status_code: int | None = None) -> Outcome:
        return cls(delivered=True, detail=detail, status_code=status_code)

    @classmethod
    def retry(cls, detail: str, status_code: int | None = None) -> Outcome:
        return cls(delivered=False, detail=detail, status_code=status_code)

    @classmethod
    def refused(cls, detail: str, status_code: int | None = None) -> Outcome:
        return cls(delivered=False, detail=detail, permanent=True, status_code=status_code)


@runtime_checkable
class Sink(Protocol):
    """One output kind ("webhook", "obs", "dis"). One instance serves every task; it may
    keep connections open between deliveries and must be safe for concurrent calls."""

    kind: str

    async def deliver(self, alarm: Alarm, target: Mapping[str, Any]) -> Outcome: ...

    async def close(self) -> None: ...
