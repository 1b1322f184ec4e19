"""The video-source address policy: which hosts the engine may pull video from.

A video source's URL is user input. Unless ``OPENVIAS_ALLOW_PRIVATE_TARGETS=true``, the
engine resolves its host itself and refuses it, before any connection, when **any** of its
addresses is loopback, link-local (cloud metadata), multicast, unspecified or another
special range (:func:`~openvias.domain.network_policy.public_or_camera_lan`); public
addresses and the private LAN ranges cameras live on stay allowed. The refusal message is
the same whatever listens at the address, so task errors cannot be used to scan ports.

:class:`AddressGuard` answers for one host; :mod:`openvias.engine.guard_proxy` applies it to
every HTTP connection FFmpeg and the download fallback open (redirects and HLS segments
included) and connects to the address it checked.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from openvias.domain.network_policy import AddressPolicy, first_refused, public_or_camera_lan

#: The addresses of a host name (a literal address resolves to itself).
Resolver = Callable[[str, int], list[str]]

DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "rtsp": 554,
    "rtsps": 322,
    "rtmp": 1935,
    "rtmps": 443,
    "rtmpt": 80,
}


class AddressRefused(Exception):
    """The address policy refuses this host; ``str()`` is the message for users."""


class Unresolvable(Exception):
    """The host name does not resolve (may pass: DNS failures are often transient)."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def pinned_url(url: str, addresses: list[str]) -> str:
    """``url`` naming one checked address (the first IPv4 one, where cameras listen)
    instead of its host name; user info and port kept."""
    ipv4 = [address for address in addresses if ":" not in address]
    address = (ipv4 or addresses)[0]
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def refusal_message(host: str, why: str) -> str:
    return (
        f"refused by the video-source address policy: {host} resolves to {why}; set "
        "OPENVIAS_ALLOW_PRIVATE_TARGETS=true to allow loopback, link-local and other "
        "special addresses"
    )


@dataclass(frozen=True, slots=True)
class AddressGuard:
    """Checks hosts against ``policy`` after resolving them with ``resolve``."""

    policy: AddressPolicy = public_or_camera_lan
    resolve: Resolver = field(default=system_resolver)

    def check(self, host: str, port: int) -> list[str]:
        """The addresses of ``host``, all allowed (connect to these, not to the name).

        Raises :class:`AddressRefused` or :class:`Unresolvable`.
        """
        if not host:
            raise AddressRefused(
                "refused by the video-source address policy: the address names no host"
            )
        try:
            addresses = self.resolve(host, port)
        except (OSError, UnicodeError) as error:
            raise Unresolvable(f"cannot resolve {host}") from error
        if not addresses:
            raise Unresolvable(f"{host} has no address")
        refused = first_refused(addresses, self.policy)
        if refused is not None:
            raise AddressRefused(refusal_message(host, refused[1]))
        return list(dict.fromkeys(addresses))

    def check_url(self, parts: SplitResult) -> list[str]:
        """:meth:`check` for a URL's host and port."""
        try:
            port = parts.port
        except ValueError as error:
            raise AddressRefused(
                "refused by the video-source address policy: the address has an invalid port"
            ) from error
        return self.check(parts.hostname or "", port or DEFAULT_PORTS.get(parts.scheme, 0))
