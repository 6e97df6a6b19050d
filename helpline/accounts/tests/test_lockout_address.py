"""The lockout page finds django-axes' lock by the address axes stored it under
(helpline.lib.clientip.axes_address: the client behind a trusted proxy, an IPv6
one by its /64), also when axes has not put that address on the request (a
sign-in refused by helpline.accounts.throttle first), so it can give the exact
time left rather than "at most"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from helpline.accounts.lockout import _axes_left


def locked(username: str, address: str, settings: Any) -> None:
    AccessAttempt.objects.create(
        username=username,
        ip_address=address,
        user_agent="test",
        http_accept="*/*",
        path_info="/login/",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )


@pytest.mark.parametrize(
    ("meta", "proxies", "stored"),
    [
        # An IPv6 client: axes stores its /64, REMOTE_ADDR is one address in it.
        ({"REMOTE_ADDR": "2001:db8:1:2::99"}, [], "2001:db8:1:2::"),
        # Behind a trusted proxy: the client is in X-Forwarded-For.
        (
            {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.7"},
            ["10.0.0.5"],
            "203.0.113.7",
        ),
    ],
)
def test_the_exact_time_left_is_found_by_the_clients_address(
    meta: dict[str, str], proxies: list[str], stored: str, db: None, settings: Any
) -> None:
    settings.HELPLINE_TRUSTED_PROXIES = proxies
    locked("alice.agent", stored, settings)
    request = RequestFactory().post("/login/", **meta)  # type: ignore[arg-type]

    left = _axes_left(request, "alice.agent")

    assert left is not None
    cool_off = settings.AXES_COOLOFF_TIME
    cool_off = cool_off if isinstance(cool_off, timedelta) else timedelta(hours=cool_off)
    assert timedelta(0) < left <= cool_off
