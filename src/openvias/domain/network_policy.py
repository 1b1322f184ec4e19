"""Which network addresses the server may connect to on a user's behalf (SSRF policies).

Users give the server addresses to connect to: webhook URLs (alarm outputs) and video
source URLs (cameras, HTTP files, HLS). Without a policy, a task could make the server
reach its own loopback services, a cloud metadata service (``169.254.169.254``,
``100.100.100.200``) or anything its network can reach. Two policies, applied to every
address a host name resolves to (all of them must pass):

- :func:`public_only` (webhooks): public unicast addresses only;
- :func:`public_or_camera_lan` (video sources): public unicast addresses and the private LAN ranges
  cameras live on (``10/8``, ``172.16/12``, ``192.168/16``, ``fc00::/7``); still refused:
  loopback, link-local (cloud metadata), multicast, unspecified, shared (CGNAT),
  documentation, benchmarking and reserved ranges.

IPv4 addresses written in IPv6 (``::ffff:127.0.0.1``, 6to4 ``2002:7f00:1::``) are judged
as the IPv4 address they carry. ``OPENVIAS_ALLOW_PRIVATE_TARGETS=true`` lifts both policies
(the callers decide that; this module only judges addresses).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Final

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Why an address is refused ("a loopback address"), or None when it is allowed.
AddressPolicy = Callable[[Address], str | None]

CAMERA_NETWORKS: Final = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (IPv4-mapped or 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    return address.ipv4_mapped or address.sixtofour


def not_public(address: Address) -> str | None:
    """Why ``address`` is not a public unicast address; None when it is one."""
    carried = embedded_ipv4(address)
    if carried is not None:
        return not_public(carried)
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if flag:
            return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
    if not address.is_global:
        return "not a public address"
    return None


def public_only(address: Address) -> str | None:
    """The webhook policy: public unicast addresses only."""
    return not_public(address)


def public_or_camera_lan(address: Address) -> str | None:
    """The video-source policy: public unicast addresses and the private LAN ranges."""
    carried = embedded_ipv4(address) or address
    if any(carried in network for network in CAMERA_NETWORKS):
        return None
    return not_public(address)


def parse_address(text: str) -> Address:
    """An address as ``getaddrinfo`` gives it (an IPv6 zone suffix ``%eth0`` dropped)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def first_refused(addresses: Iterable[str], policy: AddressPolicy) -> tuple[Address, str] | None:
    """The first address ``policy`` refuses, with why; None when all are allowed."""
    for text in addresses:
        address = parse_address(text)
        why = policy(address)
        if why is not None:
            return address, why
    return None
