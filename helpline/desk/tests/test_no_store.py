"""Every answer under the desk (pages, reports, CSV and JSON exports,
attachments, redirects, errors) tells browsers and proxies to keep no copy:
`Cache-Control: no-store, private`, the same headers as the portal's pages
(Django's never_cache), from one middleware (helpline.lib.middleware)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from helpline.conftest import World
from helpline.desk.tests.conftest import Desk
from helpline.tests.security.routes import WEB, build_scene, one_per_pattern

pytestmark = pytest.mark.django_db


def directives(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_private(response: Any, where: str) -> None:
    found = directives(response)
    assert {"no-store", "private", "no-cache", "must-revalidate", "max-age=0"} <= found, (
        where,
        response.status_code,
        found,
    )


def test_every_desk_and_reports_route_answers_no_store_to_everyone(
    world: World, settings: Any, tmp_path: Any
) -> None:
    """One path of each route of the desk and the reports, from the route catalog
    of the security sweeps (a new route is in it, or the access matrix fails)."""
    settings.MEDIA_ROOT = tmp_path
    scene = build_scene(world, admin_rows=False)
    routes = [c for c in one_per_pattern(WEB) if c.pattern.startswith(("desk:", "reports:"))]
    signed_in = scene.client("admin")
    anonymous = Client()
    checked = 0
    for case in routes:
        path = case.path(scene)
        for who, browser in (("administrator", signed_in), ("anonymous", anonymous)):
            for method in ("get", "post", "head"):
                response = getattr(browser, method)(path)
                assert_private(response, f"{method.upper()} {case.id} ({path}) as {who}")
                checked += 1
    assert len(routes) >= 22 and checked == len(routes) * 6


@pytest.mark.parametrize(
    "path",
    [
        "/desk/nothing-here/",  # not found
        "/desk/tickets/000000/",  # no such ticket
        "/desk/?department=x",  # a 400
        "/desk/reports/data?tz=Mars/Olympus",  # a 422 in JSON
        "/desk/reports/export.csv?preset=custom&start=2026-12-01&end=2026-12-03",  # a download
        "/desk/reports/export.csv?tz=Mars/Olympus",  # its error
        "/desk/reports/queues/open/export.csv",
    ],
)
def test_errors_and_downloads_under_the_desk_are_not_stored_either(desk: Desk, path: str) -> None:
    response = desk.client.get(path)
    assert_private(response, path)


def test_the_attachment_download_is_not_stored(desk: Desk) -> None:
    path = f"/desk/tickets/{desk.ticket.number}/files/{desk.attachment.pk}/"
    response = desk.client.get(path)
    assert response.status_code == 200
    assert_private(response, path)


def test_the_desk_sends_the_same_cache_headers_as_the_portal(desk: Desk, world: World) -> None:
    portal = Client()
    assert world.customer.user is not None
    portal.force_login(world.customer.user)
    mine = portal.get("/my/")
    page = desk.client.get("/desk/")
    assert mine.status_code == page.status_code == 200
    assert directives(page) == directives(mine)
    assert "Expires" in page


def test_the_portal_and_the_api_are_left_as_their_owners_set_them(client: Client) -> None:
    """The middleware touches only the desk: the public home page may be cached
    as before (the portal decides per view)."""
    assert "no-store" not in directives(client.get("/"))
