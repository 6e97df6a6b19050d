"""The pages the "no English left" tests open, and the demo data they open them on.

`build()` loads the demo (helpline.tickets.demo: Jane, John, Mia, Ken and his
tickets, English data typed by people, which the pages must mark as such) and
adds what the remaining pages need: a resolved ticket with a rating link, a
signed guest link, an agent with two-factor sign-in, a held reply, account links.

Each `PageCase` names a page and says how to reach it: who is signed in (a
session made with Django's test client, its cookies handed to the browser), what
the session holds first (`prepare`), and the path. Pages that only a form
reaches (the CSRF failure, the lockout) are reached by using the form.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Page

from helpline.accounts import twofactor
from helpline.accounts.models import Agent, Customer, Role, User
from helpline.accounts.passwords import reset_tokens
from helpline.conftest import make_agent
from helpline.desk.views.auth import PENDING_KEY
from helpline.intake.ingest import ingest_message
from helpline.intake.models import Mailbox
from helpline.intake.tests.helpers import mail
from helpline.portal.accounts import confirmation_tokens
from helpline.portal.views import OPENED_KEY
from helpline.ticket_tasks.lifecycle import add_task
from helpline.ticket_tasks.models import Task
from helpline.tickets import lifecycle
from helpline.tickets.demo import load_demo
from helpline.tickets.links import rating_token, ticket_token
from helpline.tickets.models import Event, EventKind, Ticket


@dataclass
class Demo:
    ken: Customer
    john: Agent  # an agent of Support
    jane: Agent  # the administrator
    eve: User  # an agent with two-factor sign-in (recovery codes too)
    ticket: Ticket  # Ken's, open, with a reply and a held mail
    resolved: Ticket  # Ken's, resolved by John
    rating: str  # the rating link's token of `resolved`
    link: str  # Ken's signed link to `ticket`
    pending: User  # a registration waiting for confirmation


def build() -> Demo:
    load_demo()
    john = Agent.objects.select_related("user").get(user__username="john.doe")
    jane = Agent.objects.select_related("user").get(user__username="jane.doe")
    ken = Customer.objects.get(email="ken@example.com")
    # Ken's tickets in Support, which John works in (the first is in IT Operations).
    support = Ticket.objects.filter(customer=ken, department__name="Support").order_by("id")
    ticket = lifecycle.reply(
        support[0], actor=john, body_html="<p>We are looking into it.</p>", uploads=[]
    )
    resolved = lifecycle.resolve(
        support[1], actor=john, explanation_html="<p>Replaced the disk.</p>"
    )
    resolution = Event.objects.filter(ticket=resolved, kind=EventKind.RESOLVED).latest("id")
    box = Mailbox.objects.create(
        department=ticket.department,
        address="support@helpline.test",
        protocol=Mailbox.Protocol.PIPE,
        authserv_ids="mx.helpline.test",
    )
    # A task on it, John's (helpline.ticket_tasks): the ticket's card, the task pages.
    add_task(ticket, actor=john, title="Neue Festplatte bestellen", agent=john)
    failed = b"Authentication-Results: mx.helpline.test; dmarc=fail header.from=example.com\r\n"
    ingest_message(failed + mail(subject=f"Re: [#{ticket.number}]"), mailbox=box)
    eve = make_agent("eve.enrolled", Role.AGENT, ticket.department).user
    TOTPDevice.objects.create(user=eve, name=twofactor.APP_NAME, confirmed=True)
    twofactor.new_recovery_codes(eve)
    pending = User.objects.create_user(
        username="pending@example.net", email="pending@example.net", is_active=False
    )
    return Demo(
        ken=ken,
        john=john,
        jane=jane,
        eve=eve,
        ticket=Ticket.objects.get(pk=ticket.pk),
        resolved=resolved,
        rating=rating_token(resolution),
        link=ticket_token(ticket),
        pending=pending,
    )


def _uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


Prepare = Callable[[Demo, Client], None]
Path = Callable[[Demo], str]
Act = Callable[[Demo, Page, str], None]


@dataclass(frozen=True)
class PageCase:
    name: str
    path: Path
    who: str = ""  # "", "ken", "john", "jane", "eve"
    prepare: Prepare | None = None  # with the visitor's session, before the browser
    act: Act | None = None  # in the browser, after opening `path` (a form to send)

    def __str__(self) -> str:
        return self.name


def _person(demo: Demo, who: str) -> User | None:
    users = {
        "ken": demo.ken.user,
        "john": demo.john.user,
        "jane": demo.jane.user,
        "eve": demo.eve,
    }
    return users.get(who)


def open_page(context: BrowserContext, base_url: str, demo: Demo, case: PageCase) -> Page:
    """Open `case` in `context` as its visitor (cookies from a test-client session)."""
    client = Client()
    user = _person(demo, case.who)
    if user is not None:
        client.force_login(user)
    if case.prepare is not None:
        case.prepare(demo, client)
    cookies = [
        {"name": name, "value": morsel.value, "url": base_url}
        for name, morsel in client.cookies.items()
        if name != settings.LANGUAGE_COOKIE_NAME and morsel.value
    ]
    if cookies:
        context.add_cookies(cookies)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(base_url + case.path(demo))
    if case.act is not None:
        case.act(demo, page, base_url)
    return page


# --- what some pages need first --------------------------------------------------


def _opened(demo: Demo, client: Client) -> None:
    session = client.session
    session[OPENED_KEY] = demo.link
    session.save()


def _follow(name: str, user: Callable[[Demo], User]) -> Prepare:
    """An account link followed: Django moves its token into the session."""

    def prepare(demo: Demo, client: Client) -> None:
        who = user(demo)
        token = (confirmation_tokens if name == "portal:confirm" else reset_tokens).make_token(who)
        response = client.get(reverse(name, kwargs={"uidb64": _uid(who), "token": token}))
        assert response.status_code == 302, response

    return prepare


def _set_password(name: str, user: Callable[[Demo], User]) -> Path:
    return lambda demo: reverse(name, kwargs={"uidb64": _uid(user(demo)), "token": "set-password"})


def _password_step(demo: Demo, client: Client) -> None:
    session = client.session
    user = demo.eve
    session[PENDING_KEY] = {
        "user": user.pk,
        "hash": user.get_session_auth_hash(),
        "next": "",
        "at": time.time(),
    }
    session.save()


def _verified(demo: Demo, client: Client) -> None:
    """Eve's session passed the second factor (django-otp's session key)."""
    device = TOTPDevice.objects.get(user=demo.eve)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def _rate(demo: Demo, page: Page, base_url: str) -> None:
    page.locator("input[name=score]").first.check()
    page.locator("form:has(input[name=score]) [type=submit]").first.click()
    page.wait_for_load_state()


def _locked(username: str) -> Prepare:
    def prepare(demo: Demo, client: Client) -> None:
        path = "/desk/login/" if "@" not in username else "/login/"
        field = "username" if "@" not in username else "email"
        for _ in range(settings.AXES_FAILURE_LIMIT):
            Client().post(path, {field: username, "password": "wrong"})

    return prepare


def _sign_in_locked(field: str, username: str) -> Act:
    def act(demo: Demo, page: Page, base_url: str) -> None:
        page.locator(f"input[name={field}]").fill(username)
        page.locator("input[name=password]").fill("wrong")
        page.locator("form:has(input[name=password]) [type=submit]").click()
        page.wait_for_load_state()

    return act


def _stale_form(demo: Demo, page: Page, base_url: str) -> None:
    """Send the sign-in form after the session's CSRF cookie is gone (a stale tab)."""
    page.context.clear_cookies()
    page.locator("input[name=password]").fill("wrong")
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()


def _ken(demo: Demo) -> User:
    user = demo.ken.user
    assert user is not None
    return user


def _ticket(demo: Demo) -> str:
    return f"/tickets/{demo.ticket.number}/"


def _desk_ticket(demo: Demo) -> str:
    return f"/desk/tickets/{demo.ticket.number}/"


def _desk_task(demo: Demo) -> str:
    return f"/desk/tasks/{Task.objects.get(ticket=demo.ticket).pk}/"


def _static(path: str) -> Path:
    return lambda demo: path


PORTAL: list[PageCase] = [
    PageCase("home", _static("/")),
    PageCase("open a ticket", _static("/open/")),
    PageCase("opened: thanks", _static("/open/thanks/"), prepare=_opened),
    PageCase("check ticket status", _static("/status/")),
    PageCase("register", _static("/register/")),
    PageCase(
        "register: set a password",
        _set_password("portal:confirm", lambda d: d.pending),
        prepare=_follow("portal:confirm", lambda d: d.pending),
    ),
    PageCase("sign in", _static("/login/")),
    PageCase("password reset", _static("/password/reset/")),
    PageCase("password reset sent", _static("/password/reset/sent/")),
    PageCase(
        "password reset: new password",
        _set_password("portal:password_reset_confirm", _ken),
        prepare=_follow("portal:password_reset_confirm", _ken),
    ),
    PageCase("my tickets", _static("/my/"), who="ken"),
    PageCase("my ticket", _ticket, who="ken"),
    PageCase("guest ticket link", lambda d: f"/t/{d.link}/"),
    PageCase("rate the resolution", lambda d: f"/rate/{d.rating}/"),
    PageCase(
        "rated: thanks",
        lambda d: f"/rate/{d.rating}/",
        act=_rate,
    ),
    PageCase("not found (404)", _static("/no/such/page/")),
    PageCase("wrong method (405)", _static("/logout/")),
    PageCase("stale form (CSRF)", _static("/login/"), act=_stale_form),
    PageCase(
        "signing in is paused (lockout)",
        _static("/login/"),
        prepare=_locked("ken@example.com"),
        act=_sign_in_locked("email", "ken@example.com"),
    ),
]

DESK: list[PageCase] = [
    PageCase("sign in", _static("/desk/login/")),
    PageCase("sign in: code", _static("/desk/login/code/"), prepare=_password_step),
    PageCase("password reset", _static("/desk/password/reset/")),
    PageCase("password reset sent", _static("/desk/password/reset/sent/")),
    PageCase(
        "password reset: new password",
        _set_password("desk:password_reset_confirm", lambda d: d.john.user),
        prepare=_follow("desk:password_reset_confirm", lambda d: d.john.user),
    ),
    PageCase("dashboard", _static("/desk/"), who="john"),
    PageCase("open queue", _static("/desk/queues/open/"), who="john"),
    PageCase("closed queue", _static("/desk/queues/closed/"), who="john"),
    PageCase("new ticket", _static("/desk/tickets/new/"), who="john"),
    PageCase("ticket with held mail", _desk_ticket, who="john"),
    PageCase("ticket as administrator", _desk_ticket, who="jane"),
    PageCase("reports", _static("/desk/reports/"), who="jane"),
    PageCase("my tasks", _static("/desk/tasks/"), who="john"),
    PageCase("task", _desk_task, who="john"),
    PageCase("new task", lambda d: f"/desk/tasks/new/{d.ticket.number}/", who="john"),
    PageCase("profile", _static("/desk/profile/"), who="john"),
    PageCase("two-factor sign-in: off", _static("/desk/two-factor/"), who="john"),
    PageCase("two-factor sign-in: on", _static("/desk/two-factor/"), who="eve", prepare=_verified),
    PageCase(
        "two-factor sign-in: new codes",
        _static("/desk/two-factor/codes/"),
        who="eve",
        prepare=_verified,
    ),
    PageCase(
        "two-factor sign-in: turn off",
        _static("/desk/two-factor/disable/"),
        who="eve",
        prepare=_verified,
    ),
    PageCase("not found (404)", lambda d: "/desk/tickets/000000/", who="john"),
    PageCase("wrong method (405)", _static("/desk/two-factor/start/"), who="john"),
    PageCase("administrators only (403)", _static("/admin/"), who="john"),
    PageCase("stale form (CSRF)", _static("/desk/login/"), act=_stale_form),
    PageCase(
        "signing in is paused (lockout)",
        _static("/desk/login/"),
        prepare=_locked("john.doe"),
        act=_sign_in_locked("username", "john.doe"),
    ),
]
