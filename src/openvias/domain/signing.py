"""SDK-HMAC-SHA256 request signatures, exactly as ``huaweicloudsdkcore`` computes them.

CanonicalRequest = METHOD \\n URI \\n QUERY \\n HEADERS \\n SIGNED_HEADERS \\n HEX(SHA256(body))
StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n HEX(SHA256(CanonicalRequest))
Signature        = HEX(HMAC-SHA256(secret, StringToSign))
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<access>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


class SignatureFormatError(ValueError):
    """The Authorization header or X-Sdk-Date cannot be parsed."""


@dataclass(frozen=True, slots=True)
class ParsedAuthorization:
    access: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization:
    match = _AUTH_RE.match(value.strip())
    if match is None:
        raise SignatureFormatError("Authorization is not an SDK-HMAC-SHA256 header")
    signed = tuple(match["signed"].split(";"))
    if list(signed) != sorted(signed) or any(h != h.lower() for h in signed):
        raise SignatureFormatError("SignedHeaders must be lower-case and sorted")
    return ParsedAuthorization(match["access"], signed, match["signature"].lower())


def parse_sdk_date(value: str) -> datetime:
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise SignatureFormatError("X-Sdk-Date must be YYYYMMDDTHHMMSSZ") from exc


def _encode(value: str) -> str:
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(raw_query: str) -> str:
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)


def header_text(received: str) -> str:
    """A header value as the SDK signed it. The SDK signs the text, then sends its UTF-8
    bytes; ASGI servers hand those bytes over decoded as Latin-1."""
    try:
        return received.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return received


def canonical_request(
    *,
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    payload_hash: str,
) -> str:
    names = list(signed_headers)
    lines = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in names)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(raw_query),
            lines,
            ";".join(names),
            payload_hash,
        ]
    )


def string_to_sign(sdk_date: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def sign(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def payload_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def _split_host(text: str) -> tuple[str, int | None]:
    """``name[:port]`` or ``[v6][:port]``, lower-cased, the port None when absent; the
    name empty when the text is not a host."""
    text = text.strip().lower()
    if text.startswith("["):
        name, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        name, _, port_text = text.partition(":")
    else:
        name, port_text = text, ""
    if port_text and not port_text.isdigit():
        return "", None
    return name.rstrip("."), int(port_text) if port_text else None


def host_is_ours(
    signed_host: str,
    *,
    local_address: tuple[str, int] | None,
    default_port: int,
    public_hosts: Iterable[str] = (),
) -> bool:
    """Whether the signed ``Host`` names this server, so that a signature made for another
    server cannot be replayed here: the address the request arrived on (the local socket:
    ``127.0.0.1:8080``, or ``localhost:8080`` when that socket is a loopback one), or one
    of ``public_hosts`` (``name`` accepts any port, ``name:port`` that port only)."""
    name, port = _split_host(signed_host)
    if not name:
        return False
    effective_port = port if port is not None else default_port
    for entry in public_hosts:
        wanted, wanted_port = _split_host(entry)
        if name == wanted and (wanted_port is None or wanted_port == effective_port):
            return True
    if local_address is None:
        return False
    # A dual-stack socket reports an IPv4 client's connection as ::ffff:a.b.c.d.
    local_ip, local_port = local_address[0].lower().removeprefix("::ffff:"), local_address[1]
    if effective_port != local_port:
        return False
    loopback = local_ip.startswith("127.") or local_ip == "::1"
    return name == local_ip or (loopback and name == "localhost")
