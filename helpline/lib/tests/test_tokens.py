"""The signed-token helper: a value back from a valid token, and "expired" told
apart from "forged"."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from helpline.lib.tokens import Check, sign, verify

DAY = timedelta(days=1)


def test_a_fresh_token_gives_its_value_back() -> None:
    verified = verify(sign("1234.5", salt="a"), salt="a", max_age=DAY)

    assert verified.valid and verified.check is Check.VALID
    assert verified.value == "1234.5"


def test_an_old_token_is_expired_and_gives_no_value() -> None:
    token = sign("1234.5", salt="a")

    with time_machine.travel(timezone.now() + 2 * DAY, tick=False):
        verified = verify(token, salt="a", max_age=DAY)

    assert verified.expired and not verified.valid
    assert verified.value == ""


def test_a_mangled_token_is_forged_never_expired() -> None:
    token = sign("1234.5", salt="a")

    with time_machine.travel(timezone.now() + 2 * DAY, tick=False):
        verified = verify(token[:-2] + "xx", salt="a", max_age=DAY)

    assert verified.check is Check.FORGED
    assert not verified.expired


def test_a_token_of_another_salt_is_forged() -> None:
    assert verify(sign("1234.5", salt="a"), salt="b", max_age=DAY).check is Check.FORGED


def test_garbage_is_forged() -> None:
    assert verify("", salt="a", max_age=DAY).check is Check.FORGED
    assert verify("nonsense", salt="a", max_age=DAY).check is Check.FORGED


def test_a_new_secret_key_spends_every_token(settings) -> None:
    token = sign("1234.5", salt="a")
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40

    assert verify(token, salt="a", max_age=DAY).check is Check.FORGED
