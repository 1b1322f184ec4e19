"""The two address policies: public only (webhooks) and public or camera LAN (video)."""

from __future__ import annotations

import pytest

from openvias.domain.network_policy import (
    first_refused,
    parse_address,
    public_only,
    public_or_camera_lan,
)

CAMERA_LAN = ["10.0.0.5", "172.16.3.4", "172.31.255.1", "192.168.1.20", "fd00::20", "fc00::1"]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"]
SPECIAL = {
    "127.0.0.1": "a loopback address",
    "127.8.9.10": "a loopback address",
    "::1": "a loopback address",
    "::ffff:127.0.0.1": "a loopback address",
    "2002:7f00:1::1": "a loopback address",  # 6to4 carrying 127.0.0.1
    "169.254.169.254": "a link-local address",  # AWS, GCP, Azure, OpenStack metadata
    "::ffff:169.254.169.254": "a link-local address",
    "fe80::1": "a link-local address",
    "224.0.0.1": "a multicast address",
    "239.1.2.3": "a multicast address",
    "ff02::1": "a multicast address",
    "0.0.0.0": "an unspecified address",
    "::": "an unspecified address",
    "100.100.100.200": "not a public address",  # Alibaba Cloud metadata (shared range)
    "192.0.2.1": "a private address",  # documentation
    "198.18.0.1": "a private address",  # benchmarking
    "240.0.0.1": "a reserved address",
}


@pytest.mark.parametrize("text", CAMERA_LAN + PUBLIC)
def test_cameras_may_be_public_or_on_the_private_lan(text: str) -> None:
    assert public_or_camera_lan(parse_address(text)) is None


@pytest.mark.parametrize(("text", "why"), SPECIAL.items())
def test_special_addresses_are_refused_for_cameras_and_webhooks(text: str, why: str) -> None:
    assert public_or_camera_lan(parse_address(text)) == why
    assert public_only(parse_address(text)) == why


@pytest.mark.parametrize("text", CAMERA_LAN)
def test_webhooks_may_not_reach_the_private_lan(text: str) -> None:
    assert public_only(parse_address(text)) == "a private address"


def test_one_refused_address_refuses_the_name() -> None:
    refused = first_refused(["10.0.0.5", "fe80::1%eth0", "8.8.8.8"], public_or_camera_lan)
    assert refused == (parse_address("fe80::1"), "a link-local address")
    assert first_refused(["10.0.0.5", "8.8.8.8"], public_or_camera_lan) is None
