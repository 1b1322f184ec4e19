"""Address guards for tests, which may only send traffic to loopback.

The real video-source policy refuses loopback, so tests that need a server use
:data:`LOOPBACK_ALLOWED` (the real policy plus loopback) to still go through the guard and
its proxy; :func:`resolving` maps test host names to chosen addresses so that refusals of
other addresses are shown without any packet leaving (the check precedes the connection).
"""

from __future__ import annotations

from collections.abc import Mapping

from openvias.domain.network_policy import Address, public_or_camera_lan
from openvias.engine.address_guard import AddressGuard, system_resolver


def loopback_or_camera_lan(address: Address) -> str | None:
    return None if address.is_loopback else public_or_camera_lan(address)


LOOPBACK_ALLOWED = AddressGuard(policy=loopback_or_camera_lan)


def resolving(names: Mapping[str, list[str]], *, loopback: bool = True) -> AddressGuard:
    """A guard resolving ``names`` as given (other hosts as usual)."""

    def resolve(host: str, port: int) -> list[str]:
        if host in names:
            return list(names[host])
        return system_resolver(host, port)

    policy = loopback_or_camera_lan if loopback else public_or_camera_lan
    return AddressGuard(policy=policy, resolve=resolve)
