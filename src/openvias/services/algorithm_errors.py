"""Errors of the Algorithm Center that ``openvias.errors`` does not (yet) define."""

from __future__ import annotations

from openvias.errors import InvalidParameter


class TaskQuotaExceeded(InvalidParameter):
    """A resource order's ``max_tasks`` would be exceeded (Huawei's VIAS.00010048, 400)."""

    error_code = "VIAS.00010048"
    reason = "The maximum number of tasks has been reached."
    advice = "Stop other tasks of this resource order, or ask the administrator for a larger one."
