"""Stored values shown again, whatever older servers let in.

Writes refuse what cannot be written out (``schemas.common``: lone surrogates, deep
nesting, NaN); rows stored before may still hold it. A list or show must not fail for
them: the bad parts of such a row are repaired for display (``domain.json_values.repaired``:
U+FFFD for a lone surrogate, null for what is too deep or not a number), the rest of the
row and the other rows are shown as stored, and the repair is logged once per row and
field, not on every read.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from pydantic_core import PydanticSerializationError, to_json

from openvias.domain.json_values import MAX_DEPTH, repaired

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Room above the write limit for the levels a view adds around a stored value.
_SHOWN_DEPTH = MAX_DEPTH + 8
#: Repairs already logged (bounded: a flood of bad rows cannot grow it without end).
_logged: set[str] = set()
_LOGGED_AT_MOST = 10_000


def shown(value: T, *, what: str) -> T:
    """``value`` (a view's fields, a stored JSON object, a string) as it can be written out:
    the value itself when nothing needs repair, a repaired copy otherwise. ``what`` names
    the row (``task 0a1b...``) for the log."""
    fixed, changed = repaired(value, max_depth=_SHOWN_DEPTH)
    if changed:
        _log_once(what, changed)
    return fixed  # type: ignore[no-any-return]


def shown_json(document: object, *, what: str) -> bytes:
    """``document`` as JSON; repaired first (see :func:`shown`) only when it cannot be
    written as stored, so reads of sound rows pay nothing for the check."""
    try:
        return to_json(document)
    except PydanticSerializationError:
        return to_json(shown(document, what=what))


def _log_once(what: str, changed: list[str]) -> None:
    key = f"{what}: {', '.join(changed[:5])}"
    if key in _logged:
        return
    if len(_logged) < _LOGGED_AT_MOST:
        _logged.add(key)
    log.warning(
        "%s holds values that cannot be shown as stored (written before the API refused "
        "them); shown repaired (U+FFFD for a lone surrogate, null for what is nested too "
        "deep or not a finite number) at %s",
        what,
        ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else ""),
    )
