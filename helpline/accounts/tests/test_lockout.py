"""The lockout after failed sign-ins (django-axes): it lasts from the failure that
locked the account, more failures do not lengthen it, a password reset lifts it,
and the page says what happened, for how long, and how to get out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from helpline.accounts.tests.mailbox import RESET, last_link, run_account_tasks
from helpline.accounts.tests.test_password_reset import DESK, PORTAL, choose
from helpline.conftest import PASSWORD, World

NEW = "Tangerine-Kettle-9381"
SIDES = {
    "desk": {**DESK, "who": "alice.agent", "email": "alice.agent@example.com"},
    "portal": {**PORTAL, "who": "ken@example.com", "email": "ken@example.com"},
}


def attempt(side: dict[str, str], password: str) -> Any:
    client = Client()
    response = client.post(side["login"], {side["user"]: side["who"], "password": password})
    response.signed_in = "_auth_user_id" in client.session  # type: ignore[attr-defined]
    return response


def lock(side: dict[str, str], settings: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert not attempt(side, "wrong").signed_in
    assert attempt(side, PASSWORD).status_code == 429


@pytest.mark.parametrize("name", SIDES)
def test_a_password_reset_lifts_the_lock_at_once(name: str, world: World, settings: Any) -> None:
    side = SIDES[name]
    lock(side, settings)
    client = Client()
    client.post(side["ask"], {"email": side["email"]})
    run_account_tasks()

    done = choose(client, last_link(side["email"], RESET), NEW)

    assert done.status_code == 302
    signed = attempt(side, NEW)
    assert signed.signed_in, signed.content.decode()[:500]


@pytest.mark.parametrize("name", SIDES)
def test_failures_while_locked_do_not_make_the_lock_longer(
    name: str, world: World, settings: Any
) -> None:
    side = SIDES[name]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lock(side, settings)
    # Ten minutes in, somebody keeps trying (wrong and right passwords alike).
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        for password in ("wrong", "wrong", PASSWORD):
            assert attempt(side, password).status_code == 429
    # Fifteen minutes after the lock, not after the last try: open again.
    with time_machine.travel(start + timedelta(minutes=15, seconds=5), tick=False):
        assert attempt(side, PASSWORD).signed_in


@pytest.mark.parametrize("name", SIDES)
def test_the_lockout_page_says_what_happened_how_long_and_links_to_reset(
    name: str, world: World, settings: Any
) -> None:
    side = SIDES[name]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lock(side, settings)
    with time_machine.travel(start + timedelta(minutes=4, seconds=30), tick=False):
        page = attempt(side, PASSWORD)

    html = page.content.decode()
    assert page.status_code == 429
    assert "Signing in is paused" in html
    assert "too many failed sign-in attempts" in html
    assert "You can try again in 11 minutes." in html
    assert f'href="{side["ask"]}"' in html
    assert "Reset your password" in html
