"""Bad input on every desk and reports route: no 5xx, whatever a person or a
script puts in the path, the query string or a form.

Each route of the `desk` and `reports` URL namespaces is declared below with
the path it is reached at and the parameters or form fields it reads; a route
added without an entry fails `test_every_desk_and_reports_route_is_swept`.
Values come from a list of known troublemakers (integers beyond 64 bits,
negatives, NUL bytes, 10,000 characters, dates at Python's edges) and from
hypothesis' generated text. Besides "no 5xx", two invariants are checked after
each request: no stored due date lies outside helpline.lib.bounds, and an
answer that is a 4xx says why (a message, not an empty page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.desk.forms import NewTicketForm
from helpline.desk.tests.conftest import Desk
from helpline.desk.views.ticket import ACTIONS
from helpline.lib import bounds
from helpline.reports.views import REPORT_PARAMS
from helpline.tickets.models import Ticket
from helpline.tickets.queues import FILTERS

pytestmark = pytest.mark.django_db

TROUBLE = [
    "",
    "0",
    "-1",
    "1",
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "-" + str(2**63 + 1),
    "922337203685477580",
    "9" * 30,
    "9" * 5000,
    "\x00",
    "1\x00",
    "a\x00b",
    "x" * 10_000,
    "none",
    "null",
    "1e309",
    "NaN",
    "-inf",
    "\uff11\uff12",  # full-width digits
    "\u0661\u0662",  # Arabic-Indic digits
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "9999-12-31T23:59:59Z",
    "Asia/Tokyo",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "\r\nX-Injected: 1",
]

# The classes of trouble, one value each, for the forms (each answer renders the
# whole ticket page, so the full list per field would cost minutes).
FORM_TROUBLE = [
    "",
    "-1",
    str(2**63),
    "9" * 5000,
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "NaN",
    "\uff11\uff12",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "<script>alert(1)</script>",
]

values = st.one_of(st.sampled_from(TROUBLE), st.text(max_size=300))

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def body(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    content: bytes = response.content
    return content


def check(response: Any) -> None:
    """No 5xx; a 4xx says why; no due date outside the range got stored."""
    assert response.status_code < 500
    if 400 <= response.status_code < 500 and response.status_code != 405:
        assert body(response).strip(), response
    stored = Ticket.objects.exclude(due_at=None).values_list("due_at", flat=True)
    assert all(bounds.date_in_range(due) for due in stored if due is not None)


# --- the routes -------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """How to reach a route and what it reads."""

    path: Callable[[Desk], str]
    query: tuple[str, ...] = ()
    post: tuple[str, ...] = ()


QUEUE_QUERY = ("page", "sort", *FILTERS)
ROUTES: dict[str, Route] = {
    "desk:dashboard": Route(lambda d: "/desk/", QUEUE_QUERY),
    "desk:login": Route(lambda d: "/desk/login/", ("next",), ("username", "password", "next")),
    "desk:logout": Route(lambda d: "/desk/logout/"),
    "desk:login_code": Route(lambda d: "/desk/login/code/", ("next",), ("code", "next")),
    "desk:password_reset": Route(lambda d: "/desk/password/reset/", (), ("email",)),
    "desk:password_reset_sent": Route(lambda d: "/desk/password/reset/sent/"),
    "desk:password_reset_confirm": Route(
        lambda d: "/desk/password/reset/MQ/not-a-token/", (), ("new_password1", "new_password2")
    ),
    "desk:two_factor": Route(lambda d: "/desk/two-factor/"),
    "desk:two_factor_start": Route(lambda d: "/desk/two-factor/start/"),
    "desk:two_factor_confirm": Route(lambda d: "/desk/two-factor/confirm/", (), ("code",)),
    "desk:two_factor_codes": Route(lambda d: "/desk/two-factor/codes/", (), ("password",)),
    "desk:two_factor_disable": Route(lambda d: "/desk/two-factor/disable/", (), ("password",)),
    "desk:queue": Route(lambda d: "/desk/queues/closed/", QUEUE_QUERY),
    "desk:jump": Route(lambda d: "/desk/go/", ("number",)),
    "desk:new_ticket": Route(lambda d: "/desk/tickets/new/", (), tuple(NewTicketForm.base_fields)),
    "desk:ticket": Route(lambda d: f"/desk/tickets/{d.ticket.number}/"),
    "desk:attachment": Route(
        lambda d: f"/desk/tickets/{d.ticket.number}/files/{d.attachment.pk}/",
    ),
    "desk:action": Route(lambda d: f"/desk/tickets/{d.ticket.number}/note/"),
    "reports:page": Route(lambda d: "/desk/reports/", REPORT_PARAMS),
    "reports:data": Route(lambda d: "/desk/reports/data", REPORT_PARAMS),
    "reports:export": Route(lambda d: "/desk/reports/export.csv", (*REPORT_PARAMS, "table")),
    "reports:queue_export": Route(
        lambda d: "/desk/reports/queues/open/export.csv", ("sort", *FILTERS)
    ),
}


def names(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from names(entry, space)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


def test_every_desk_and_reports_route_is_swept() -> None:
    ours = {n for n in names(get_resolver()) if n.split(":")[0] in ("desk", "reports")}
    assert ours == set(ROUTES), "declare the new route's parameters in ROUTES"


POST_ONLY = {
    "desk:logout",
    "desk:action",
    "desk:two_factor_start",
    "desk:two_factor_confirm",
    "desk:two_factor_codes",
    "desk:two_factor_disable",
}


def test_every_route_answers_its_declared_path(desk: Desk) -> None:
    for name, route in ROUTES.items():
        response = desk.client.get(route.path(desk))
        expected = 405 if name in POST_ONLY else 200
        if name in ("desk:jump", "desk:login_code"):  # login_code: no password step yet
            expected = 302
        if name == "desk:password_reset_confirm":  # an unknown link
            expected = 404
        assert response.status_code == expected, name
        check(response)


# --- query strings ----------------------------------------------------------------

GET_ROUTES = [name for name, route in ROUTES.items() if route.query]


@pytest.mark.parametrize("name", GET_ROUTES)
def test_each_troublemaker_in_each_query_parameter_is_answered(desk: Desk, name: str) -> None:
    route = ROUTES[name]
    for parameter in route.query:
        for value in TROUBLE:
            check(desk.client.get(route.path(desk), {parameter: value}))


@pytest.mark.parametrize("name", GET_ROUTES)
def test_generated_query_strings_are_answered(desk: Desk, name: str) -> None:
    route = ROUTES[name]

    @EXAMPLES
    @given(st.dictionaries(st.sampled_from(route.query), values, max_size=4))
    def run(params: dict[str, str]) -> None:
        check(desk.client.get(route.path(desk), params))

    run()


def test_report_periods_at_every_edge_in_every_kind_of_zone_are_answered(desk: Desk) -> None:
    edges = ["0001-01-01", "1999-12-31", "2000-01-01", "2099-12-31", "9999-12-31"]
    zones = ["Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles", "UTC"]
    for path in ("/desk/reports/", "/desk/reports/data", "/desk/reports/export.csv"):
        for start in edges:
            for end in edges:
                for tz in zones:
                    params = {"preset": "custom", "start": start, "end": end, "tz": tz}
                    check(desk.client.get(path, params))


# --- paths ------------------------------------------------------------------------


@EXAMPLES
@given(st.one_of(st.sampled_from(TROUBLE), st.text(min_size=1, max_size=200)))
def test_generated_ticket_numbers_and_attachment_ids_in_paths_are_answered(
    desk: Desk, raw: str
) -> None:
    number = quote(raw, safe="")
    for path in (
        f"/desk/tickets/{number}/",
        f"/desk/tickets/{number}/files/{desk.attachment.pk}/",
        f"/desk/tickets/{desk.ticket.number}/files/{number}/",
        f"/desk/queues/{number}/",
        f"/desk/reports/queues/{number}/export.csv",
    ):
        check(desk.client.get(path))
    check(desk.client.post(f"/desk/tickets/{number}/note/", {"body": "x", "version": 1}))
    check(desk.client.post(f"/desk/tickets/{desk.ticket.number}/{number}/", {"version": 1}))


def test_a_nul_byte_or_21_characters_in_a_ticket_number_is_not_found(desk: Desk) -> None:
    """PostgreSQL refuses NUL in a text parameter; the lookup answered 500 there."""
    for number in ("%00", "1%00", desk.ticket.number + "%00", "1" * 21):
        assert desk.client.get(f"/desk/tickets/{number}/").status_code == 404
        files = f"/desk/tickets/{number}/files/{desk.attachment.pk}/"
        assert desk.client.get(files).status_code == 404
        note = desk.client.post(f"/desk/tickets/{number}/note/", {"body": "x", "version": 1})
        assert note.status_code == 404


def test_huge_attachment_ids_are_not_found(desk: Desk) -> None:
    huge = [v for v in TROUBLE if v.isascii() and v.isdigit() and len(v) > 12] + [str(10**40)]
    for value in huge:
        response = desk.client.get(f"/desk/tickets/{desk.ticket.number}/files/{value}/")
        assert response.status_code == 404


# --- forms ------------------------------------------------------------------------


def form_data(names: tuple[str, ...], chosen: dict[str, str], desk: Desk) -> dict[str, Any]:
    data: dict[str, Any] = {"version": str(Ticket.objects.get(pk=desk.ticket.pk).version)}
    data.update(chosen)
    return {k: v for k, v in data.items() if k in names or k == "version"}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_troublemaker_in_each_field_of_each_ticket_action_is_answered(
    desk: Desk, action: str
) -> None:
    fields = tuple(ACTIONS[action].form.base_fields)
    path = f"/desk/tickets/{desk.ticket.number}/{action}/"
    for name in fields:
        for value in FORM_TROUBLE:
            check(desk.client.post(path, form_data(fields, {name: value}, desk)))


@pytest.mark.parametrize("action", list(ACTIONS))
def test_generated_ticket_action_forms_are_answered(desk: Desk, action: str) -> None:
    fields = tuple(ACTIONS[action].form.base_fields)
    path = f"/desk/tickets/{desk.ticket.number}/{action}/"

    @settings(EXAMPLES, max_examples=10)
    @given(st.dictionaries(st.sampled_from(fields), values, max_size=len(fields)))
    def run(chosen: dict[str, str]) -> None:
        check(desk.client.post(path, form_data(fields, chosen, desk)))

    run()


@pytest.mark.parametrize("name", [name for name, route in ROUTES.items() if route.post])
def test_each_troublemaker_in_each_posted_field_is_answered(desk: Desk, name: str) -> None:
    route = ROUTES[name]
    for field in route.post:
        for value in FORM_TROUBLE:
            check(desk.client.post(route.path(desk), {field: value}))


def test_each_troublemaker_in_each_field_of_the_new_ticket_form_is_answered(desk: Desk) -> None:
    good = {
        "email": "caller@example.com",
        "name": "A Caller",
        "source": "phone",
        "topic": str(desk.world.topic.pk),
        "subject": "Phone call",
        "body": "They called.",
    }
    for name in NewTicketForm.base_fields:
        for value in FORM_TROUBLE:
            if name == "attachments":
                continue
            check(desk.client.post("/desk/tickets/new/", {**good, name: value}))


@pytest.mark.parametrize(
    "filename",
    ["a\x00b.txt", "../../../etc/passwd", "x" * 1000 + ".txt", "\u202etxt.exe", ".txt", "nul\x00"],
)
def test_troublesome_file_names_on_desk_uploads_are_answered(desk: Desk, filename: str) -> None:
    upload = SimpleUploadedFile(filename, b"content", content_type="text/plain")
    version = Ticket.objects.get(pk=desk.ticket.pk).version
    path = f"/desk/tickets/{desk.ticket.number}/note/"
    check(desk.client.post(path, {"body": "file", "version": version, "attachments": upload}))
