"""HEAD answers wherever GET does: every route of the site (desk, reports,
portal, ratings, admin, the REST and osTicket APIs), as each kind of visitor
that reaches it, gets the same status and headers for HEAD as for GET, and no
body (helpline.lib.middleware.HeadMiddleware). The routes and the values that
reach them come from the route catalog of the security sweeps
(helpline/tests/security/routes.py), which knows every URL pattern.

The requests go through the real WSGI application, as gunicorn sends them:
Django's test client drops a HEAD answer's body itself, which would hide a
body we send. Time is frozen for each pair so that dated headers compare.
"""

from __future__ import annotations

import io
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import pytest
import time_machine
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone

from helpline.api.tests.conftest import make_token
from helpline.conftest import World
from helpline.tests.security.routes import Scene, all_cases, build_scene, one_per_pattern
from helpline.wsgi import application

pytestmark = pytest.mark.django_db


# --- the WSGI application, called as a server calls it --------------------------------


NONCE = re.compile(r"'nonce-[^']*'")


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def comparable_headers(self) -> list[tuple[str, str]]:
        """The headers, with each Set-Cookie's value and each CSP nonce left out:
        a fresh CSRF token and a nonce are random in every answer, the cookie's
        name and attributes and the rest of the policy are not."""
        result = []
        for name, value in self.headers:
            if name.lower() == "content-security-policy":
                value = NONCE.sub("'nonce-…'", value)
            if name.lower() == "set-cookie":
                cookie = SimpleCookie(value)
                ((key, morsel),) = cookie.items()
                attributes = {k: v for k, v in morsel.items() if v}
                value = f"{key}=…; {sorted(attributes.items())}"
            result.append((name.lower(), value))
        return sorted(result)


def call(method: str, path: str, headers: dict[str, str]) -> Answer:
    location, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": location,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        started.update(status=int(status.split()[0]), headers=response_headers)
        return lambda data: None

    result = application(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return Answer(started["status"], started["headers"], body)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request; the
    test's transaction lives on it (Django's test client switches this off too)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# --- every route, from the route catalog of the security sweeps -----------------------


def who(path: str) -> list[str]:
    """Everybody, and the visitor the route is for."""
    if path.startswith(("/desk/", "/admin/")):
        return ["anonymous", "administrator"]
    if path.startswith("/api/"):
        return ["anonymous", "token"]
    if path.startswith("/rate/") or path.startswith("/t/"):
        return ["anonymous"]
    return ["anonymous", "customer"]


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@dataclass
class Site:
    scene: Scene
    visitors: dict[str, dict[str, str]]  # who -> request headers


@pytest.fixture
def site(world: World, keep_connection: None, settings: Any, tmp_path: Any) -> Site:
    settings.MEDIA_ROOT = tmp_path
    scene = build_scene(world)
    assert world.customer.user is not None
    return Site(
        scene=scene,
        visitors={
            "anonymous": {},
            "administrator": {"Cookie": session_cookie(world.admin.user)},
            "customer": {"Cookie": session_cookie(world.customer.user)},
            "token": {"Authorization": f"Bearer {make_token(world.admin)}"},
        },
    )


# These must answer 200 to their visitor's GET, or the comparison proves little.
MUST_ANSWER = {
    ("/desk/", "administrator"),
    ("/desk/queues/open/", "administrator"),
    ("/desk/reports/", "administrator"),
    ("/desk/reports/data", "administrator"),
    ("/desk/reports/export.csv", "administrator"),
    ("/desk/reports/queues/open/export.csv", "administrator"),
    ("/desk/tickets/{number}/", "administrator"),
    ("/desk/tickets/{number}/files/{attachment}/", "administrator"),
    ("/desk/login/", "anonymous"),
    ("/", "anonymous"),
    ("/status/", "anonymous"),
    ("/my/", "customer"),
    ("/tickets/{number}/", "customer"),
    ("/tickets/{number}/files/{attachment}/", "customer"),
    ("/t/{token}/", "anonymous"),
    ("/t/{token}/files/{attachment}/", "anonymous"),
    ("/rate/{rating}/", "anonymous"),
    ("/api/openapi.json", "anonymous"),
    ("/api/docs", "anonymous"),
    ("/api/v1/tickets", "token"),
    ("/api/v1/tickets/{number}", "token"),
    ("/api/v1/tickets/{number}/thread", "token"),
    ("/api/v1/tickets/{number}/attachments/{attachment}", "token"),
    ("/api/v1/reports", "token"),
    ("/api/v1/topics", "token"),
    ("/admin/", "administrator"),
    ("/admin/tickets/helptopic/", "administrator"),
}


def test_every_route_answers_head_as_it_answers_get(site: Site) -> None:
    scene = site.scene
    seen: dict[tuple[str, str], int] = {}
    # One path for each URL pattern: the access matrix proves the catalog has them all.
    paths = sorted({case.path(scene) for case in one_per_pattern(all_cases())})
    for path in paths:
        for visitor in who(path):
            headers = site.visitors[visitor]
            with time_machine.travel(timezone.now(), tick=False):
                get = call("GET", path, headers)
                head = call("HEAD", path, headers)
            where = f"HEAD {path} as {visitor}"
            assert get.status < 500, f"GET {path} as {visitor}: {get.status}"
            assert head.status == get.status, f"{where}: {head.status}, GET {get.status}"
            assert head.comparable_headers() == get.comparable_headers(), where
            assert head.body == b"", f"{where} has a body"
            seen[(path, visitor)] = get.status
    numbers = {
        "{number}": scene.support.number,
        "{attachment}": str(scene.public_file.pk),
        "{token}": scene.link,
        "{rating}": scene.rating,
    }
    for path, visitor in MUST_ANSWER:
        for placeholder, value in numbers.items():
            path = path.replace(placeholder, value)
        assert seen.get((path, visitor)) == 200, (path, visitor, seen.get((path, visitor)))
    # The sweep's size, for docs/security/webinput.md.
    statuses = Counter(seen.values())
    print(f"\n{len(paths)} paths, {len(seen)} path x visitor pairs, {len(seen) * 2} requests")
    print(f"GET answers: {sorted(statuses.items())}")


def test_a_head_of_a_streamed_export_reads_no_rows(site: Site) -> None:
    """A HEAD of the queue CSV never starts the file: no query for the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = site.visitors["administrator"]
    with CaptureQueriesContext(connection) as get_queries:
        get = call("GET", "/desk/reports/queues/open/export.csv", headers)
    with CaptureQueriesContext(connection) as head_queries:
        head = call("HEAD", "/desk/reports/queues/open/export.csv", headers)
    assert get.status == head.status == 200 and site.scene.support.number.encode() in get.body
    assert head.body == b""
    assert len(head_queries) < len(get_queries)


def test_post_only_routes_still_refuse_head_as_they_refuse_get(site: Site) -> None:
    for path in ("/desk/logout/", f"/desk/tickets/{site.scene.support.number}/note/"):
        headers = site.visitors["administrator"]
        get, head = call("GET", path, headers), call("HEAD", path, headers)
        assert get.status == head.status == 405
        assert dict(head.headers)["Allow"] == dict(get.headers)["Allow"] == "POST"
