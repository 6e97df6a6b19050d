"""Every page names the site's icon, so browsers never ask for /favicon.ico (a
404 on every first visit, in the log and, with a cookie set by the error page,
in the way of tests that clear cookies)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from helpline.conftest import World
from helpline.desk.tests.test_desk import login

pytestmark = pytest.mark.django_db

ICON = re.compile(r'<link rel="icon" href="(?P<href>[^"]+)" type="image/svg\+xml">')


@pytest.mark.parametrize("path", ["/", "/login/", "/desk/login/", "/no-such-page/"])
def test_portal_desk_and_error_pages_name_the_icon(client: Client, path: str) -> None:
    match = ICON.search(client.get(path).content.decode())
    assert match is not None
    assert match["href"].endswith("helpline/favicon.svg")
    assert finders.find("helpline/favicon.svg") is not None


def test_the_admin_names_it_too(client: Client, world: World) -> None:
    login(client, world.admin)
    assert ICON.search(client.get("/admin/").content.decode()) is not None
