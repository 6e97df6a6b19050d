"""HEAD answers wherever GET does: every route of the site (desk, reports,
portal, ratings, admin, the REST and osTicket APIs), as each kind of visitor
that reaches it, gets the same status and headers for HEAD as for GET, and no
body (helpline.lib.middleware.HeadMiddleware).

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
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from helpline.api.tests.conftest import make_token
from helpline.conftest import World
from helpline.feedback.links import rating_token
from helpline.portal.links import ticket_token
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment, Event, EventKind, Ticket
from helpline.wsgi import application

pytestmark = pytest.mark.django_db


# --- the WSGI application, called as a server calls it --------------------------------


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def comparable_headers(self) -> list[tuple[str, str]]:
        """The headers, with each Set-Cookie's value left out: a fresh CSRF token
        is random in every answer, its name and attributes are not."""
        result = []
        for name, value in self.headers:
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


# --- every route, with the values that reach it ---------------------------------------


def routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every route of the site, as its pattern string from the root."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


# Routes written as regular expressions, and a path each.
REGEX_PATHS = {
    r"api/^(?:http\.php/)?tickets\.(?P<fmt>json|xml|email)$": "/api/tickets.json",
    r"api/^(?P<rest>.*)$": "/api/nothing-here",
    r"admin/(?P<url>.*)$": "/admin/nothing-here/",
}


@dataclass
class Site:
    world: World
    ticket: Ticket
    attachment: Attachment
    resolution: Event
    visitors: dict[str, dict[str, str]]  # who -> request headers
    link: str  # the signed link token of `ticket` (made once: it holds a time)
    rating: str  # the signed rating token of `resolution`

    def value(self, route: str, name: str) -> str:
        """A value for the path parameter `name` of `route` that reaches a real
        object where there is one."""
        if name == "token":
            if route.startswith("rate/"):
                return self.rating
            if "<uidb64>" in route:
                # Account links (registration, password reset) spend themselves;
                # an unknown one is answered the same every time.
                return "not-a-token"
            return self.link
        if name == "object_id" and route.startswith("admin/r/"):  # view on site
            return str(self.ticket.pk)
        if name == "object_id":
            found = re.match(r"admin/(\w+)/(\w+)/", route)
            assert found, route
            model = apps.get_model(found[1], found[2])
            first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            return str(first or 1)
        return {
            "number": self.ticket.number,
            "attachment_id": str(self.attachment.pk),
            "queue": "open",
            "action": "note",
            "id": str(self.world.admin.user.pk),
            "pk": "1",
            "content_type_id": str(ContentType.objects.get_for_model(Ticket).pk),
            "app_label": "tickets",
            "uidb64": "MQ",  # user 1, base64
        }[name]

    def path(self, route: str) -> str:
        if route in REGEX_PATHS:
            return REGEX_PATHS[route]
        if "(?P<" in route:  # admin's app index: ^(?P<app_label>auth|...)/$
            return "/" + re.sub(r"\^?\(\?P<(\w+)>[^)]*\)\$?", "tickets", route).replace("$", "")
        filled = re.sub(
            r"<(?:\w+:)?(\w+)>", lambda part: self.value(route, part[1]), route
        )  # <int:attachment_id>, <number>
        return "/" + filled

    def who(self, path: str) -> list[str]:
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


@pytest.fixture
def site(world: World, keep_connection: None, settings: Any, tmp_path: Any) -> Site:
    settings.MEDIA_ROOT = tmp_path
    ticket = world.open()
    lifecycle.reply(
        ticket,
        actor=world.agent,
        body_html="<p>See the log.</p>",
        uploads=[lifecycle.Upload("log.txt", "text/plain", b"a log")],
    )
    other = world.open("Rated one")
    lifecycle.resolve(other, actor=world.agent, explanation_html="<p>Fixed.</p>")
    assert world.customer.user is not None
    resolution = Event.objects.get(ticket=other, kind=EventKind.RESOLVED)
    return Site(
        world=world,
        ticket=ticket,
        attachment=Attachment.objects.get(entry__ticket=ticket),
        resolution=resolution,
        visitors={
            "anonymous": {},
            "administrator": {"Cookie": session_cookie(world.admin.user)},
            "customer": {"Cookie": session_cookie(world.customer.user)},
            "token": {"Authorization": f"Bearer {make_token(world.admin)}"},
        },
        link=ticket_token(ticket),
        rating=rating_token(resolution),
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
    seen: dict[tuple[str, str], int] = {}
    paths = sorted({site.path(route) for route in routes()})
    for path in paths:
        for who in site.who(path):
            headers = site.visitors[who]
            with time_machine.travel(timezone.now(), tick=False):
                get = call("GET", path, headers)
                head = call("HEAD", path, headers)
            where = f"HEAD {path} as {who}"
            assert get.status < 500, f"GET {path} as {who}: {get.status}"
            assert head.status == get.status, f"{where}: {head.status}, GET {get.status}"
            assert head.comparable_headers() == get.comparable_headers(), where
            assert head.body == b"", f"{where} has a body"
            seen[(path, who)] = get.status
    numbers = {
        "{number}": site.ticket.number,
        "{attachment}": str(site.attachment.pk),
        "{token}": site.link,
        "{rating}": site.rating,
    }
    for path, who in MUST_ANSWER:
        for placeholder, value in numbers.items():
            path = path.replace(placeholder, value)
        assert seen.get((path, who)) == 200, (path, who, seen.get((path, who)))
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
    assert get.status == head.status == 200 and site.ticket.number.encode() in get.body
    assert head.body == b""
    assert len(head_queries) < len(get_queries)


def test_post_only_routes_still_refuse_head_as_they_refuse_get(site: Site) -> None:
    for path in ("/desk/logout/", f"/desk/tickets/{site.ticket.number}/note/"):
        headers = site.visitors["administrator"]
        get, head = call("GET", path, headers), call("HEAD", path, headers)
        assert get.status == head.status == 405
        assert dict(head.headers)["Allow"] == dict(get.headers)["Allow"] == "POST"
