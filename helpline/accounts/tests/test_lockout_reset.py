"""The lockout page offers a password reset as the way out: a reset lifts django-axes'
(username, address) locks and the per-username bound of helpline.accounts.throttle
too, so a stranger who fails HELPLINE_LOGIN_FAILURES_PER_USERNAME times from several
addresses does not keep the owner out once the owner has reset."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from helpline.accounts.tests.mailbox import RESET, last_link, run_account_tasks
from helpline.accounts.tests.test_lockout import NEW, SIDES
from helpline.accounts.tests.test_password_reset import choose
from helpline.conftest import World


@pytest.mark.parametrize("name", SIDES)
def test_a_password_reset_lifts_the_per_username_bound_too(
    name: str, world: World, settings: Any
) -> None:
    side = SIDES[name]
    settings.HELPLINE_LOGIN_FAILURES_PER_USERNAME = "6/h"
    # A stranger guesses from several addresses (each under axes' limit).
    for n in range(6):
        Client(REMOTE_ADDR=f"198.51.100.{n}").post(
            side["login"], {side["user"]: side["who"], "password": "guess"}
        )
    owner = Client(REMOTE_ADDR="192.0.2.50")
    blocked = owner.post(side["login"], {side["user"]: side["who"], "password": "whatever"})
    assert blocked.status_code == 429
    assert f'href="{side["ask"]}"' in blocked.content.decode()  # "reset your password"

    owner.post(side["ask"], {"email": side["email"]})
    run_account_tasks()
    assert choose(owner, last_link(side["email"], RESET), NEW).status_code == 302

    after = Client(REMOTE_ADDR="192.0.2.50")
    answer = after.post(side["login"], {side["user"]: side["who"], "password": NEW})
    assert "_auth_user_id" in after.session, answer.status_code
