"""Sign-in throttling across usernames and across addresses, on the desk and the
portal (helpline.accounts.throttle), on top of django-axes' (username, address)
lock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.utils import timezone

from helpline.conftest import PASSWORD, World

DESK, PORTAL = "/desk/login/", "/login/"


class CountingHasher(MD5PasswordHasher):
    """The test suite's hasher, counting the passwords it checks: the cost the
    throttle exists to bound (Argon2 in production)."""

    checked: ClassVar[int] = 0

    def verify(self, password: str, encoded: str) -> bool:
        CountingHasher.checked += 1
        return super().verify(password, encoded)


@pytest.fixture(autouse=True)
def rates(settings: Any) -> None:
    settings.HELPLINE_LOGIN_FAILURES_PER_ADDRESS = "5/15m"
    settings.HELPLINE_LOGIN_FAILURES_PER_USERNAME = "8/15m"
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]


def desk(address: str, username: str, password: str) -> Any:
    client = Client(REMOTE_ADDR=address)
    response: Any = client.post(DESK, {"username": username, "password": password})
    response.signed_in = "_auth_user_id" in client.session
    return response


def portal(address: str, email: str, password: str) -> Any:
    client = Client(REMOTE_ADDR=address)
    response: Any = client.post(PORTAL, {"email": email, "password": password})
    response.signed_in = "_auth_user_id" in client.session
    return response


def test_one_address_trying_many_usernames_on_the_desk_is_stopped_before_any_hash(
    world: World,
) -> None:
    for n in range(5):  # five usernames, one failure each: axes' pairs never lock
        assert desk("203.0.113.9", f"user{n}", "guess").status_code == 400

    before = CountingHasher.checked
    refused = desk("203.0.113.9", "alice.agent", PASSWORD)

    assert refused.status_code == 429 and not refused.signed_in
    assert "Signing in is paused" in refused.content.decode()
    assert CountingHasher.checked == before  # refused without checking a password
    # Another address is not affected.
    assert desk("198.51.100.7", "alice.agent", PASSWORD).signed_in


def test_one_address_trying_many_addresses_on_the_portal_is_stopped(world: World) -> None:
    for n in range(5):
        portal("203.0.113.9", f"guess{n}@example.com", "guess")

    before = CountingHasher.checked
    refused = portal("203.0.113.9", "ken@example.com", PASSWORD)

    assert refused.status_code == 429 and not refused.signed_in
    assert "Signing in is paused" in refused.content.decode()
    # The lockout page, not the form: it says how long and offers a password reset.
    assert 'href="/password/reset/"' in refused.content.decode()
    assert CountingHasher.checked == before
    assert portal("198.51.100.7", "ken@example.com", PASSWORD).signed_in


def test_one_ipv6_client_rotating_addresses_in_its_64_is_bounded_like_one_address(
    world: World,
) -> None:
    """Every IPv6 client holds a /64 (2^64 addresses): counted per address, one
    host could spray passwords without end, each try an Argon2 hash. The bound
    counts it by its /64, as django-ratelimit's "ip" key does (RATELIMIT_IPV6_MASK)."""
    for n in range(3):
        assert desk(f"2001:db8:1:2::{n + 1:x}", f"user{n}", "guess").status_code == 400
    for n in range(2):  # one bound for desk and portal together (5 in the window)
        assert portal(f"2001:db8:1:2:{n + 1:x}::1", f"u{n}@example.com", "x").status_code == 200
    before = CountingHasher.checked

    on_the_desk = desk("2001:db8:1:2::99", "alice.agent", "Winter2026!")
    on_the_portal = portal("2001:db8:1:2:ffff::9", "ken@example.com", "Winter2026!")
    elsewhere = desk("2001:db8:1:3::1", "alice.agent", "guess")  # another /64, another client

    assert (on_the_desk.status_code, on_the_portal.status_code) == (429, 429)
    assert elsewhere.status_code == 400
    assert CountingHasher.checked == before + 1  # only the other client's try


@pytest.mark.parametrize(
    ("login", "username"), [(desk, "alice.agent"), (portal, "ken@example.com")]
)
def test_many_addresses_trying_one_username_are_stopped(
    world: World, login: Any, username: str
) -> None:
    for n in range(8):  # one failure from each of eight addresses
        assert not login(f"203.0.113.{n}", username, "guess").signed_in

    refused = login("198.51.100.7", username, PASSWORD)

    assert refused.status_code == 429 and not refused.signed_in
    # Other people are not affected.
    other = "bob.sales" if login is desk else "olive@example.org"
    assert login("198.51.100.7", other, PASSWORD).signed_in


def test_the_bounds_lift_when_their_window_ends(world: World) -> None:
    for n in range(5):
        desk("203.0.113.9", f"user{n}", "guess")
    assert desk("203.0.113.9", "alice.agent", PASSWORD).status_code == 429

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert desk("203.0.113.9", "alice.agent", PASSWORD).signed_in


def test_successful_sign_ins_do_not_count(world: World) -> None:
    for _ in range(12):
        assert desk("203.0.113.9", "alice.agent", PASSWORD).signed_in
        assert portal("203.0.113.9", "ken@example.com", PASSWORD).signed_in


# --- behind a reverse proxy (helpline.lib.clientip) -----------------------------------


def via(peer: str, forwarded: str, username: str, password: str) -> Any:
    client = Client(REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    response: Any = client.post(DESK, {"username": username, "password": password})
    response.signed_in = "_auth_user_id" in client.session
    return response


def test_a_spoofed_forwarded_for_does_not_give_a_fresh_address(world: World) -> None:
    """Nobody is a trusted proxy (the default): the header is ignored."""
    for n in range(5):
        assert via("203.0.113.9", f"10.9.0.{n}", f"user{n}", "guess").status_code == 400

    assert via("203.0.113.9", "10.9.0.99", "alice.agent", PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_apart(world: World, settings: Any) -> None:
    settings.HELPLINE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(5):
        assert via("10.0.0.5", "203.0.113.9", f"user{n}", "guess").status_code == 400

    assert via("10.0.0.5", "203.0.113.9", "alice.agent", PASSWORD).status_code == 429
    # Prepending an address of one's own is not believed.
    assert via("10.0.0.5", "192.0.2.1, 203.0.113.9", "alice.agent", PASSWORD).status_code == 429
    # Another client behind the same proxy is not affected.
    assert via("10.0.0.5", "198.51.100.7", "alice.agent", PASSWORD).signed_in


def test_axes_locks_the_forwarded_client_not_the_proxy(world: World, settings: Any) -> None:
    """django-axes' (username, address) lock takes the same address
    (AXES_CLIENT_IP_CALLABLE): a proxy's other clients can still sign in."""
    from axes.models import AccessAttempt

    settings.HELPLINE_TRUSTED_PROXIES = ["10.0.0.5"]
    settings.HELPLINE_LOGIN_FAILURES_PER_ADDRESS = "100/15m"
    settings.HELPLINE_LOGIN_FAILURES_PER_USERNAME = "100/15m"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        via("10.0.0.5", "203.0.113.9", "alice.agent", "guess")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert not via("10.0.0.5", "203.0.113.9", "alice.agent", PASSWORD).signed_in
    assert via("10.0.0.5", "198.51.100.7", "alice.agent", PASSWORD).signed_in
