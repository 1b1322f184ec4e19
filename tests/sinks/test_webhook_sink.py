"""The webhook sink and the SSRF guard in-process, against a real receiver on loopback, and
the pure pieces of delivery (signature, status handling, backoff, registry)."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from openvias.settings import Settings
from openvias.sinks.base import Sink
from openvias.sinks.registry import build_sinks
from openvias.sinks.ssrf import TargetRefused, check_addresses, refusal
from openvias.sinks.webhook import WebhookSink, classify, sign, signing_key
from openvias.sinks.worker import backoff_seconds
from tests.sinks.delivery_support import make_alarm
from tests.sinks.receiver import Receiver, running_receiver


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_signature_matches_the_standard_webhooks_reference() -> None:
    # The example of the Standard Webhooks reference libraries.
    key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"test": 2432232314}'
    signature = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signing_key("plain-secret") == b"plain-secret"


@pytest.mark.parametrize(
    ("status", "delivered", "permanent"),
    [
        (200, True, False),
        (204, True, False),
        (301, False, True),
        (400, False, True),
        (404, False, True),
        (408, False, False),
        (429, False, False),
        (500, False, False),
        (503, False, False),
    ],
)
def test_status_handling(status: int, delivered: bool, permanent: bool) -> None:
    outcome = classify(status, "some   body\n")
    assert (outcome.delivered, outcome.permanent, outcome.status_code) == (
        delivered,
        permanent,
        status,
    )


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public address"),
        ("::ffff:127.0.0.1", "loopback"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_classes(address: str, kind: str | None) -> None:
    why = refusal(ipaddress.ip_address(address))
    assert (why is None) if kind is None else (why is not None and kind in why)


def test_one_private_address_refuses_the_host() -> None:
    assert check_addresses("ok.example", ["8.8.8.8", "1.1.1.1"]) == ["8.8.8.8", "1.1.1.1"]
    with pytest.raises(TargetRefused, match=r"mixed\.example resolves to 10\.0\.0\.1"):
        check_addresses("mixed.example", ["8.8.8.8", "10.0.0.1"])


def test_backoff_is_exponential_with_equal_jitter() -> None:
    assert backoff_seconds(1, 1.0, 300.0, lambda: 0.0) == 0.5
    assert backoff_seconds(1, 1.0, 300.0, lambda: 1.0) == 1.0
    assert backoff_seconds(4, 1.0, 300.0, lambda: 0.5) == 6.0  # d = 8: 4 + 2
    assert backoff_seconds(30, 1.0, 300.0, lambda: 1.0) == 300.0
    assert backoff_seconds(10_000, 1.0, 300.0, lambda: 0.0) == 150.0


def test_the_registry_has_the_webhook_sink(tmp_path: Path) -> None:
    sinks = build_sinks(settings(tmp_path))
    assert isinstance(sinks["webhook"], WebhookSink)
    assert all(isinstance(sink, Sink) and sink.kind == kind for kind, sink in sinks.items())


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


async def test_the_guard_refuses_loopback_and_allows_it_when_told(
    tmp_path: Path, receiver: Receiver
) -> None:
    alarm = make_alarm("p" * 32, "t" * 32, 1000)
    target = {"url": receiver.script("/unit"), "headers": {"A": "b"}}
    guarded = WebhookSink(settings(tmp_path))
    allowed = WebhookSink(settings(tmp_path, allow_private_targets=True))
    try:
        refused = await guarded.deliver(alarm, target)
        assert refused.permanent
        assert not refused.delivered
        assert "a loopback address" in refused.detail
        assert receiver.received("/unit") == []
        ok = await allowed.deliver(alarm, target)
        assert ok.delivered
        assert ok.status_code == 200
        [got] = receiver.received("/unit")
        assert got.json() == alarm.envelope()
        assert "webhook-signature" not in got.headers  # no secret, no signature
        no_image = {**target, "data_category": ["FaceImage"]}
        assert (await allowed.deliver(alarm, no_image)).delivered
        assert receiver.received("/unit")[-1].json() == alarm.envelope(include_image=False)
    finally:
        await guarded.close()
        await allowed.close()


async def test_unreachable_and_slow_receivers_are_retried(
    tmp_path: Path, receiver: Receiver
) -> None:
    from tests.support import free_port

    alarm = make_alarm("p" * 32, "t" * 32, 1000)
    sink = WebhookSink(settings(tmp_path, allow_private_targets=True, webhook_timeout_seconds=0.3))
    try:
        down = await sink.deliver(alarm, {"url": f"http://127.0.0.1:{free_port()}/x"})
        assert not down.delivered
        assert not down.permanent
        assert "ConnectError" in down.detail
        slow = await sink.deliver(alarm, {"url": receiver.script("/slow", delay=1.0)})
        assert not slow.delivered
        assert not slow.permanent
        assert "no answer within 0.3 s" in slow.detail
        bad = await sink.deliver(alarm, {"url": "http://"})
        assert bad.permanent
    finally:
        await sink.close()


def test_signing_key_of_a_whsec_secret() -> None:
    raw = b"0123456789abcdef0123456789abcdef"
    assert signing_key("whsec_" + base64.b64encode(raw).decode()) == raw


async def test_a_huge_answer_is_not_read_whole(tmp_path: Path) -> None:
    """A receiver answering 503 with a body that never ends: the attempt is a retry with a
    short detail, after reading only the start of the body."""
    sent = 0

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\n")
        try:
            while sent < 256 * 1024 * 1024:
                writer.write(b"x" * 65536)
                await writer.drain()
                sent += 65536
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(endless, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sink = WebhookSink(settings(tmp_path, allow_private_targets=True))
    try:
        alarm = make_alarm("p" * 32, "t" * 32, 1000)
        outcome = await sink.deliver(alarm, {"url": f"http://127.0.0.1:{port}/hook"})
    finally:
        await sink.close()
        server.close()
    assert not outcome.delivered
    assert not outcome.permanent
    assert outcome.status_code == 503
    assert outcome.detail == "HTTP 503: " + "x" * 200
    assert sent < 64 * 1024 * 1024  # the sink stopped reading long before the end


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Name": "Zoë"},  # non-ASCII value
        {"X-Name": "\ud800"},  # lone surrogate
        {"X-Name": "a\r\nX-Injected: 1"},  # CR/LF
        {"Bad Name": "a"},  # not a token
        {"Nämé": "a"},  # non-ASCII name
        {"X-Name": " padded"},  # leading white space
    ],
)
async def test_headers_stored_before_the_api_refused_them_are_a_permanent_failure(
    tmp_path: Path, receiver: Receiver, headers: dict[str, str]
) -> None:
    """Given a webhook output whose headers HTTP cannot carry (stored by an older server),
    when it is delivered, then the attempt is a permanent failure that says why, nothing
    is sent, and no exception escapes the sink."""
    alarm = make_alarm("p" * 32, "t" * 32, 1000)
    sink = WebhookSink(settings(tmp_path, allow_private_targets=True))
    try:
        outcome = await sink.deliver(alarm, {"url": receiver.script("/bad"), "headers": headers})
    finally:
        await sink.close()
    assert not outcome.delivered
    assert outcome.permanent
    assert outcome.detail.startswith("output.webhook.headers cannot be sent: ")
    assert receiver.received("/bad") == []
