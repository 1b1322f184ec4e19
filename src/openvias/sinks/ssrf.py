"""The guard that keeps alarm outputs from reaching the server's own network (SSRF).

A webhook URL is user input: without a guard, a task could make the server POST to
``http://127.0.0.1:5432``, a cloud metadata service (``169.254.169.254``) or any host of
the internal network. Unless ``OPENVIAS_ALLOW_PRIVATE_TARGETS`` is set, the webhook sink
connects through :class:`GuardedBackend`, which

- resolves the host itself (``loop.getaddrinfo``, asynchronous),
- refuses the connection when **any** of the addresses is not a public unicast one
  (loopback, private, link-local, multicast, reserved, unspecified, shared/CGNAT,
  documentation ranges, IPv4-mapped and 6to4 forms of these: :func:`refusal`, the
  ``public_only`` policy of :mod:`openvias.domain.network_policy`), and
- connects to an address it has just checked, so a DNS answer that changes between the
  check and the connection (DNS rebinding) cannot slip a private address in. The TLS
  server name and the ``Host`` header stay the URL's host (httpcore takes them from the
  request, not from the address connected to).

The check sits in the network backend under httpx's connection pool, so it runs for every
new connection (a kept-alive connection was checked when it was opened). A refusal is
:class:`TargetRefused` (a permanent failure); a name that does not resolve is an ordinary
connection error (retried: DNS failures are often transient).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable

import httpcore

from openvias.domain.network_policy import Address, first_refused, public_only


class TargetRefused(Exception):
    """The target's address is not allowed (raised through httpx unchanged)."""


def refusal(address: Address) -> str | None:
    """Why ``address`` may not be connected to, or None when it is a public unicast one."""
    return public_only(address)


def check_addresses(host: str, addresses: Iterable[str]) -> list[str]:
    """The addresses, in order, when all are allowed; TargetRefused otherwise."""
    addresses = list(addresses)
    refused = first_refused(addresses, public_only)
    if refused is not None:
        address, why = refused
        raise TargetRefused(
            f"refused: {host} resolves to {address}, {why} (set "
            "OPENVIAS_ALLOW_PRIVATE_TARGETS=true to allow private targets)"
        )
    return list(dict.fromkeys(addresses))


async def resolve(host: str, port: int, seconds: float | None) -> list[str]:
    """The addresses of ``host`` (a literal address resolves to itself)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), seconds
        )
    except (OSError, TimeoutError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise httpcore.ConnectError(f"{host} has no address")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to checked public addresses."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = check_addresses(host, await resolve(host, port, timeout))
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("refused: unix sockets are not allowed as targets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
