"""What an HTTP header a task configures (webhook output, restful input) may hold: what
HTTP/1.1 can carry as it is (RFC 9110 §5.1 and §5.5, formerly RFC 7230 §3.2).

A name is a token; a value is visible ASCII with single spaces or tabs between words (no
leading or trailing white space, no CR or LF, no control or non-ASCII character, which
HTTP clients refuse to send or would send as Latin-1 bytes the receiver reads otherwise).
"""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 256
MAX_VALUE_LENGTH = 4096

#: JSON Schema patterns (and pydantic's) of a name and a value.
HEADER_NAME_PATTERN = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"
HEADER_VALUE_PATTERN = r"^(?:[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*)?$"

_TOKEN = re.compile(HEADER_NAME_PATTERN.removeprefix("^").removesuffix("$"))
_VALUE = re.compile(HEADER_VALUE_PATTERN.removeprefix("^").removesuffix("$"))


def header_problem(name: object, value: object) -> str | None:
    """Why ``name: value`` cannot be sent as an HTTP header; None when it can. The text
    names the header but never repeats the value (it may be a credential)."""
    if not isinstance(name, str) or not isinstance(value, str):
        return "header names and values must be strings"
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        return f"header names have 1 to {MAX_NAME_LENGTH} characters"
    if not _TOKEN.fullmatch(name):
        shown = name.encode("ascii", "backslashreplace").decode("ascii")[:64]
        return (
            f"header name {shown!r} is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~ only)"
        )
    if len(value) > MAX_VALUE_LENGTH:
        return f"the value of header {name} is longer than {MAX_VALUE_LENGTH} characters"
    if not _VALUE.fullmatch(value):
        return (
            f"the value of header {name} must be visible ASCII characters with spaces or tabs "
            "between them (no non-ASCII or control character, no CR or LF, no leading or "
            "trailing white space)"
        )
    return None
