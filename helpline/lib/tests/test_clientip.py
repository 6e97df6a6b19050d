"""The client's address behind reverse proxies (helpline.lib.clientip): the peer,
unless the peer is a trusted proxy; then the right-most untrusted entry of
X-Forwarded-For. And the key rate limits count by (an IPv6 client by its /64)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import RequestFactory

from helpline.lib.clientip import check_trusted_proxies, client_ip, rate_key

PROXIES = ["10.0.0.5", "10.1.0.0/16", "2001:db8:ffff::/48"]


def request(peer: str, forwarded: str | None = None) -> Any:
    made = RequestFactory().get("/", REMOTE_ADDR=peer)
    if forwarded is not None:
        made.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return made


@pytest.fixture
def proxies(settings: Any) -> Any:
    settings.HELPLINE_TRUSTED_PROXIES = PROXIES
    return settings


@pytest.mark.parametrize(
    ("peer", "forwarded"),
    [
        ("203.0.113.9", "198.51.100.1"),  # a client that sends the header itself
        ("203.0.113.9", "10.0.0.5"),  # ... even naming a trusted proxy
        ("2001:db8:1::9", "198.51.100.1, 10.1.2.3"),
    ],
)
def test_an_untrusted_peers_forwarded_for_is_ignored(
    proxies: Any, peer: str, forwarded: str
) -> None:
    assert client_ip(request(peer, forwarded)) == peer


def test_with_no_trusted_proxies_the_header_is_always_ignored(settings: Any) -> None:
    settings.HELPLINE_TRUSTED_PROXIES = []

    assert client_ip(request("10.0.0.5", "198.51.100.1")) == "10.0.0.5"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.5", "198.51.100.1", "198.51.100.1"),
        # What the client wrote is left of what the proxy saw: not believed.
        ("10.0.0.5", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Two trusted proxies (10.1.9.9 forwarded to 10.0.0.5): skip both.
        ("10.0.0.5", "1.2.3.4, 198.51.100.1, 10.1.9.9", "198.51.100.1"),
        ("10.1.200.7", "2001:db8:1:2::7", "2001:db8:1:2::7"),
        ("2001:db8:ffff:1::1", "[2001:db8:1:2::7]:51234", "2001:db8:1:2::7"),
        ("10.0.0.5", "198.51.100.1:40000", "198.51.100.1"),
        ("::ffff:10.0.0.5", "::ffff:198.51.100.1", "198.51.100.1"),
        # Garbage where the trusted proxy's entry should be: the proxy is the client.
        ("10.0.0.5", "198.51.100.1, unknown", "10.0.0.5"),
        ("10.0.0.5", "198.51.100.1, not-an-ip, 10.1.0.1", "10.1.0.1"),
        # Only trusted hops: the request began inside; the left-most one.
        ("10.0.0.5", "10.1.0.1, 10.1.0.2", "10.1.0.1"),
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", None, "10.0.0.5"),
    ],
)
def test_a_trusted_proxys_forwarded_for_names_the_client(
    proxies: Any, peer: str, forwarded: str | None, client: str
) -> None:
    assert client_ip(request(peer, forwarded)) == client


def test_rate_limits_count_the_forwarded_client_by_its_64(proxies: Any) -> None:
    assert rate_key(request("10.0.0.5", "2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert rate_key(request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert rate_key(request("192.0.2.7")) == "192.0.2.7"
    assert rate_key(request("")) == "unknown"


def test_an_entry_that_is_no_address_fails_the_system_check(db: None, settings: Any) -> None:
    settings.HELPLINE_TRUSTED_PROXIES = ["10.0.0.5", "proxy.internal", "10.0.0.0/33"]

    assert [e.id for e in check_trusted_proxies()] == ["helpline.lib.E001"] * 2
    with pytest.raises(SystemCheckError):
        call_command("check")


@pytest.mark.parametrize(
    ("proxies", "peer", "forwarded", "client"),
    [
        # A proxy on a Unix socket: no peer address; "unix" trusts it.
        (["unix"], "", "198.51.100.1", "198.51.100.1"),
        (["10.0.0.5", "UNIX"], "", "1.2.3.4, 2001:db8:1:2::7", "2001:db8:1:2::7"),
        (["unix", "10.0.0.5"], "", "198.51.100.1, 10.0.0.5", "198.51.100.1"),
        (["unix"], "", None, ""),
        # Without "unix", a socket peer's header is not believed.
        (PROXIES, "", "198.51.100.1", ""),
        # "unix" trusts no TCP peer.
        (["unix"], "203.0.113.9", "198.51.100.1", "203.0.113.9"),
    ],
)
def test_unix_trusts_a_proxy_on_a_unix_socket(
    settings: Any, proxies: list[str], peer: str, forwarded: str | None, client: str
) -> None:
    settings.HELPLINE_TRUSTED_PROXIES = proxies

    assert client_ip(request(peer, forwarded)) == client


def test_clients_behind_a_unix_socket_proxy_have_buckets_of_their_own(settings: Any) -> None:
    settings.HELPLINE_TRUSTED_PROXIES = ["unix"]

    assert rate_key(request("", "198.51.100.1")) == "198.51.100.1"
    assert rate_key(request("", "198.51.100.2")) == "198.51.100.2"
    assert rate_key(request("")) == "unknown"


def test_unix_passes_the_system_check(db: None, settings: Any) -> None:
    settings.HELPLINE_TRUSTED_PROXIES = ["unix", "Unix ", "10.0.0.5"]

    assert check_trusted_proxies() == []
