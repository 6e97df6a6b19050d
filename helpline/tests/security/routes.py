"""The route catalog of the security sweeps: every URL pattern of the site, how to
fill its arguments, the methods it takes and the inputs it reads.

The access matrix (test_access_matrix.py) and the bad-input sweep
(test_bad_input_*.py) walk this catalog, and both fail for a URL pattern that it
does not know, so a new page is added here once and is then checked by both.

- `Scene` is the data every case needs, built on the shared `world`
  (helpline/conftest.py): Ken's tickets in Support and in Sales, files on them (one
  on an internal note), signed ticket and rating links (valid, forged, expired),
  accounts that no role signs in with (a pending registration, an agent and a
  customer for password reset links, an agent with two-factor sign-in), and a row
  of every model the Django admin shows.
- `WEB` lists the cases of the desk, the portal, the reports and the rating pages:
  one URL name with its arguments ("the Support ticket", "the note's file"), and
  what the visitor did first where a page depends on it (followed the link that
  leads to a set-password page, passed the password step of a two-factor sign-in).
- `admin_cases()` and `api_cases()` are derived from the admin's registry and the
  API's OpenAPI schema: every ModelAdmin gets the same six routes, every API path
  its methods.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts import twofactor
from helpline.accounts.models import Agent, Customer, Organization, Role, User
from helpline.accounts.passwords import reset_tokens
from helpline.api.tests.conftest import make_key, make_token
from helpline.automation.models import CannedReply
from helpline.bulk.models import BulkJob
from helpline.conftest import World, make_agent, make_customer
from helpline.desk.models import SavedView, Sharing
from helpline.desk.views.auth import PENDING_KEY
from helpline.desk.views.bulk import TYPED as BULK_TYPED
from helpline.desk.views.canned import CannedReplyForm
from helpline.desk.views.ticket import ACTIONS
from helpline.lib.access import Audience
from helpline.lib.jscatalog import catalog
from helpline.notify.defaults import ensure_templates
from helpline.notify.tests.helpers import fan_out_pending
from helpline.portal.accounts import confirmation_tokens
from helpline.reports import views as report_views
from helpline.tests.security.canaries import KEN_NAME, OLIVE_NAME
from helpline.ticket_tasks import lifecycle as ticket_tasks
from helpline.ticket_tasks.models import Task
from helpline.tickets import lifecycle, queues
from helpline.tickets.links import rating_token, ticket_token
from helpline.tickets.models import Attachment, Event, EventKind, Ticket, TopicField
from helpline.tickets.tests.pdfs import pages_pdf
from helpline.worker.models import WorkerHeartbeat

# Who asks, in the order of the matrix's columns.
ROLES = (
    "anonymous",
    "customer",  # Ken, who owns every ticket of the scene
    "outsider",  # Olive, another customer
    "other_department",  # Bob, an agent of Sales only
    "agent",  # Alice, an agent of Support
    "supervisor",  # Sam, supervisor of Support
    "admin",  # Ada, administrator
)
FORGED = "MTIzNDU2LjE:1uFoRg:notAValidSignatureAtAll0000000000000000000"
FORGED_ACCOUNT_TOKEN = "d0h7x2-0123456789abcdef0123456789abcdef"  # Django's token shape
# Where Django's set-password views move a valid token to (out of the URL).
SET_PASSWORD = "set-password"
MISSING_NUMBER = "000000"
MISSING_ID = 99999999


@dataclass
class Scene:
    world: World
    support: Ticket  # Ken's, in Support, with Ken's file and a note's file
    sales: Ticket  # Ken's, in Sales, with Ken's file
    resolved: Ticket  # Ken's, in Support, resolved by Alice (rating links)
    public_file: Attachment  # on `support`, from Ken's message
    note_file: Attachment  # on `support`, from Alice's internal note
    sales_file: Attachment  # on `sales`
    public_pdf: Attachment  # on `support`, from Ken's message (previewed)
    note_pdf: Attachment  # on `support`, from Alice's internal note
    support_task: Task  # on `support`, Alice's (internal: the note's canary)
    sales_task: Task  # on `sales`, Bob's
    shared_view: SavedView  # Sam's, shared with Support
    own_view: SavedView  # Alice's own
    link: str  # Ken's signed link to `support`
    expired_link: str
    rating: str  # the rating link of `resolved`'s resolution
    expired_rating: str
    api_key: str  # an API key with every scope
    # Accounts no role signs in with (a sign-in would spend their links):
    pending: User  # a registration waiting for its address to be confirmed
    reset_agent: User  # an agent in Support: desk password reset links
    reset_customer: User  # a customer: portal password reset links
    enrolled: User  # an agent with two-factor sign-in: the code step
    # Account links made in the past (reset links live an hour, confirmations 3 days).
    expired_confirm: str
    expired_desk_reset: str
    expired_portal_reset: str
    counter: Iterator[int] = field(default_factory=itertools.count)

    def user(self, role: str) -> User | None:
        w = self.world
        people: dict[str, Customer | Agent] = {
            "customer": w.customer,
            "outsider": w.outsider,
            "other_department": w.other_agent,
            "agent": w.agent,
            "supervisor": w.supervisor,
            "admin": w.admin,
        }
        person = people.get(role)
        return person.user if person is not None else None

    def client(self, role: str) -> Client:
        """A fresh client signed in as `role` (fresh, so a request that signs
        somebody else in or out never leaks into the next one)."""
        client = Client()
        user = self.user(role)
        if user is not None:
            client.force_login(user)
        return client


class Sessions:
    """One signed-in client per role, signed in again when a request ended its
    session (a logout, or a confirmation link signing somebody else in)."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.clients: dict[str, Client] = {}
        self.keys: dict[str, str] = {}

    def client(self, role: str) -> Client:
        client = self.clients.get(role)
        cookie = client.cookies.get("sessionid") if client else None
        if client is None or (cookie.value if cookie else "") != self.keys.get(role, ""):
            client = self.clients[role] = self.scene.client(role)
            cookie = client.cookies.get("sessionid")
            self.keys[role] = cookie.value if cookie else ""
        return client

    def for_case(self, role: str, case: Case) -> Client:
        """The role's client for `case`: a fresh one that did what the case needs
        first, so that what it left in its session reaches no other case."""
        if case.prepare is None:
            return self.client(role)
        client = self.scene.client(role)
        case.prepare(self.scene, client)
        return client

    def request(self, role: str, case: Case, method: str) -> Any:
        caches["limits"].clear()  # rate limits count every role's requests from one address
        caches["limits_strangers"].clear()
        client = self.for_case(role, case)
        path = case.path(self.scene)
        query = case.query(self.scene)
        if method == "GET":
            response = client.get(path, query)
        else:
            url = f"{path}?{urlencode(query)}" if query else path
            response = client.post(url, case.data(self.scene))
        return response


def _upload(name: str, canary: str = "") -> lifecycle.Upload:
    """A small text file; `canary`: the canary of the entry it is on (canaries.py)."""
    return lifecycle.Upload(name, "text/plain", f"{canary} contents of {name}".encode())


def _pdf(name: str) -> lifecycle.Upload:
    """A PDF of two pages (its previews are pictures: no canary to find in them)."""
    return lifecycle.Upload(name, "application/pdf", pages_pdf(2))


SHARED_CANNED, OWN_CANNED = "Support shared", "Alice's own"


def build_scene(world: World, *, admin_rows: bool = True) -> Scene:
    # The mail templates a new install has (a transactional test before this one
    # may have emptied the table), so the tickets below leave mail in the outbox.
    ensure_templates()
    # A running worker's heartbeat, so /readyz answers 200 here (its 503s are
    # helpline/ops/tests/test_health.py).
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})
    for key, kind in (("serial", TopicField.Kind.NUMBER), ("bought", TopicField.Kind.DATE)):
        TopicField.objects.create(topic=world.topic, key=key, label=key.title(), kind=kind)
    # Every piece of ticket data carries its canary (canaries.py): a page that
    # opens must not show a role what is not theirs.
    for customer, name in ((world.customer, KEN_NAME), (world.outsider, OLIVE_NAME)):
        customer.name = f"{name} {customer.name}"
        customer.save(update_fields=["name"])
    support = world.open(
        "zzsupportsubj Printer on fire",
        body_html="<p>zzsupportmsg It is really on fire.</p>",
        uploads=[_upload("photo.txt", "zzsupportmsg"), _pdf("report.pdf")],
        extra={"serial": "12", "bought": ""},
    )
    support = lifecycle.add_note(
        support,
        actor=world.agent,
        body_html="<p>zzsupportnote Internal.</p>",
        uploads=[_upload("note.txt", "zzsupportnote"), _pdf("note.pdf")],
    )
    sales = world.open(
        "zzsalessubj Price list",
        body_html="<p>zzsalesmsg How much is it?</p>",
        topic=world.sales_topic,
        uploads=[_upload("quote.txt", "zzsalesmsg")],
    )
    sales = lifecycle.add_note(
        sales, actor=world.other_agent, body_html="<p>zzsalesnote Discount ok.</p>"
    )
    # Tasks inside tickets are internal, as notes are: they carry the note's canary.
    support_task = ticket_tasks.add_task(
        support, actor=world.agent, title="zzsupportnote Order toner", agent=world.agent
    )
    sales_task = ticket_tasks.add_task(
        sales, actor=world.other_agent, title="zzsalesnote Send the quote", agent=world.other_agent
    )
    shared_view = SavedView.objects.create(
        name="Support's printers",
        owner=world.supervisor,
        sharing=Sharing.DEPARTMENT,
        department=world.support,
        filters={"topic": str(world.topic.pk)},
        columns=["number", "subject", "due"],
    )
    own_view = SavedView.objects.create(name="Mine, due first", owner=world.agent, queue="mine")
    olive = world.open(
        "zzolivesubj Invoice",
        body_html="<p>zzolivemsg Please resend it.</p>",
        customer=world.outsider,
        actor=world.outsider,
        topic=world.sales_topic,
    )
    lifecycle.add_note(olive, actor=world.other_agent, body_html="<p>zzolivenote Late payer.</p>")
    resolved = lifecycle.resolve(
        world.open("zzresolvedsubj Paper jam"),
        actor=world.agent,
        explanation_html="<p>Done.</p>",
    )
    resolution = Event.objects.filter(ticket=resolved, kind=EventKind.RESOLVED).latest("id")
    fan_out_pending()  # the changes' mail, as the worker writes it (the admin lists it)
    files = {a.filename: a for a in Attachment.objects.all()}
    past = timezone.now() - timedelta(days=400)
    with time_machine.travel(past, tick=False):
        expired_link, expired_rating = ticket_token(support), rating_token(resolution)
    CannedReply.objects.create(
        title=SHARED_CANNED, body_html="<p>%{ticket.number}</p>", department=world.support
    )
    CannedReply.objects.create(title=OWN_CANNED, body_html="<p>Mine</p>", owner=world.agent)
    pending = User.objects.create_user(
        username="pending@example.net", email="pending@example.net", is_active=False
    )
    reset_agent = make_agent("rita.reset", Role.AGENT, world.support).user
    reset_customer = make_customer("Carl Reset", "carl@example.net", login=True).user
    assert reset_customer is not None
    # Past the reset links' hour, within PASSWORD_RESET_TIMEOUT: the shorter life counts.
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        expired_desk_reset = reset_tokens.make_token(reset_agent)
        expired_portal_reset = reset_tokens.make_token(reset_customer)
    with time_machine.travel(timezone.now() - timedelta(days=4), tick=False):
        expired_confirm = confirmation_tokens.make_token(pending)
    scene = Scene(
        world=world,
        support=support,
        sales=sales,
        resolved=resolved,
        public_file=files["photo.txt"],
        note_file=files["note.txt"],
        sales_file=files["quote.txt"],
        public_pdf=files["report.pdf"],
        note_pdf=files["note.pdf"],
        support_task=support_task,
        sales_task=sales_task,
        shared_view=shared_view,
        own_view=own_view,
        link=ticket_token(support),
        expired_link=expired_link,
        rating=rating_token(resolution),
        expired_rating=expired_rating,
        api_key=make_key(),
        pending=pending,
        reset_agent=reset_agent,
        reset_customer=reset_customer,
        enrolled=_enrolled_agent(world),
        expired_confirm=expired_confirm,
        expired_desk_reset=expired_desk_reset,
        expired_portal_reset=expired_portal_reset,
    )
    if admin_rows:
        _admin_rows(world)
    return scene


def _enrolled_agent(world: World) -> User:
    """An agent with an authenticator app and recovery codes."""
    user = make_agent("eve.enrolled", Role.AGENT, world.support).user
    TOTPDevice.objects.create(user=user, name=twofactor.APP_NAME, confirmed=True)
    twofactor.new_recovery_codes(user)
    user.refresh_from_db()
    assert user.otp_enrolled
    return user


# --- the web pages ----------------------------------------------------------------------

Kwargs = Callable[[Scene], dict[str, Any]]
Data = Callable[[Scene], dict[str, Any]]
Prepare = Callable[[Scene, Client], None]


def _nothing(scene: Scene) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """One URL pattern with one way of filling its arguments."""

    pattern: str  # the URL name ("desk:ticket"), or the route of an unnamed pattern
    variant: str = ""  # which arguments, in words: "support", "note file", "forged"
    kwargs: Kwargs = _nothing
    methods: tuple[str, ...] = ("GET",)  # what the route takes
    query: Kwargs = _nothing  # the query string the matrix sends
    data: Data = _nothing  # the POST body the matrix sends (empty: changes nothing)
    params: tuple[str, ...] = ()  # query parameters the view reads
    fields: tuple[str, ...] = ()  # form fields the view reads
    audience: Audience | None = None  # set for derived cases (admin, API)
    url: Callable[[Scene], str] | None = None  # for an unnamed pattern
    prepare: Prepare | None = None  # what the visitor's client does first

    @property
    def id(self) -> str:
        return f"{self.pattern}[{self.variant}]" if self.variant else self.pattern

    def path(self, scene: Scene) -> str:
        if self.url is not None:
            return self.url(scene)
        return reverse(self.pattern, kwargs=self.kwargs(scene))


def _fields(*forms: Any) -> tuple[str, ...]:
    """The field names of forms (classes), and further names given as strings."""
    names: list[str] = []
    for form in forms:
        new = [form] if isinstance(form, str) else list(form.base_fields)
        names += [n for n in new if n not in names]
    return tuple(names)


def _ticket(name: str, file: str | None = None) -> Kwargs:
    def kwargs(scene: Scene) -> dict[str, Any]:
        ticket = getattr(scene, name) if name != "missing" else None
        found: dict[str, Any] = {"number": ticket.number if ticket else MISSING_NUMBER}
        if file is not None:
            found["attachment_id"] = getattr(scene, file).pk if file != "missing" else MISSING_ID
        return found

    return kwargs


def _token(which: str) -> Kwargs:
    return lambda scene: {"token": getattr(scene, which) if which != "forged" else FORGED}


def _signed_file(file: str) -> Kwargs:
    return lambda scene: {"token": scene.link, "attachment_id": getattr(scene, file).pk}


def _page(kwargs: Kwargs, page: int) -> Kwargs:
    """A page of a file's viewer: `kwargs` of the file, and the page's number."""
    return lambda scene: {**kwargs(scene), "page": page}


def _action(ticket: str, action: str) -> Kwargs:
    return lambda scene: {"number": getattr(scene, ticket).number, "action": action}


def _canned(title: str) -> Kwargs:
    return lambda scene: {"pk": CannedReply.objects.get(title=title).pk}


def _fresh_canned(owner: str | None) -> Kwargs:
    """A canned reply made for this one request (deleting it spends it): Support's
    shared one, or one of the agent's own."""

    def kwargs(scene: Scene) -> dict[str, Any]:
        agent = getattr(scene.world, owner) if owner else None
        made = CannedReply.objects.create(
            title=f"Fresh {next(scene.counter)}",
            body_html="<p>x</p>",
            department=scene.world.support,
            owner=agent,
        )
        return {"pk": made.pk}

    return kwargs


def _view(name: str) -> Kwargs:
    return lambda scene: {"pk": getattr(scene, name).pk}


def _fresh_view(shared: bool) -> Kwargs:
    """A view made for this one request (deleting it spends it): Support's shared
    one, Sam's, or one of Alice's own."""

    def kwargs(scene: Scene) -> dict[str, Any]:
        world = scene.world
        made = SavedView.objects.create(
            name=f"Fresh {next(scene.counter)}",
            owner=world.supervisor if shared else world.agent,
            sharing=Sharing.DEPARTMENT if shared else Sharing.PERSONAL,
            department=world.support if shared else None,
        )
        return {"pk": made.pk}

    return kwargs


def _view_cases() -> list[Case]:
    """Saved views: a view's page, the form that makes or changes one (an empty
    form: refused, nothing saved) and the deletion."""
    from helpline.desk.views.saved import SavedViewForm

    post, both = ("POST",), ("GET", "POST")
    fields = (*_fields(SavedViewForm), "move")
    return [
        Case(
            "desk:view", "support shared", _view("shared_view"), params=("sort", "cursor", "page")
        ),
        Case("desk:view", "alice's own", _view("own_view"), params=("sort", "cursor", "page")),
        Case(
            "desk:view_new",
            methods=both,
            params=(
                "queue",
                "department",
                "topic",
                "priority",
                "status",
                "assignee",
                "team",
                "customer",
                "sort",
            ),
            fields=fields,
        ),
        Case("desk:view_counts"),
        Case("desk:views"),
        Case("desk:view_edit", "support shared", _view("shared_view"), both, fields=fields),
        Case("desk:view_edit", "alice's own", _view("own_view"), both, fields=fields),
        Case("desk:view_delete", "support shared", _fresh_view(True), post),
        Case("desk:view_delete", "alice's own", _fresh_view(False), post),
    ]


def _task(name: str) -> Kwargs:
    """A task of the scene ("support_task"), or one that does not exist."""
    return lambda scene: {"pk": getattr(scene, name).pk if name != "missing" else MISSING_ID}


def _task_action(name: str, action: str) -> Kwargs:
    return lambda scene: {"pk": getattr(scene, name).pk, "action": action}


def _task_cases() -> list[Case]:
    """Tasks inside tickets: "My tasks" and its count, a ticket's new task, a
    task's page, and each change on the Support task (an empty form: refused,
    nothing changes)."""
    from helpline.desk.views.tasks import ACTIONS as TASK_ACTIONS
    from helpline.desk.views.tasks import NewTaskForm

    post, both = ("POST",), ("GET", "POST")
    return [
        Case("desk:my_tasks", params=("page",)),
        Case("desk:my_tasks_count"),
        Case("desk:new_task", "support", _ticket("support"), both, fields=_fields(NewTaskForm)),
        Case("desk:new_task", "sales", _ticket("sales"), both, fields=_fields(NewTaskForm)),
        Case("desk:task", "support", _task("support_task")),
        Case("desk:task", "sales", _task("sales_task")),
        Case("desk:task", "missing", _task("missing")),
        *(
            Case(
                "desk:task_action",
                f"support, {name}",
                _task_action("support_task", name),
                post,
                fields=_fields(spec.form),
            )
            for name, spec in TASK_ACTIONS.items()
        ),
        Case(
            "desk:task_action",
            "support, no such action",
            _task_action("support_task", "nope"),
            post,
        ),
    ]


def _draft(ticket: str, kind: str) -> Kwargs:
    return lambda scene: {"number": getattr(scene, ticket).number, "kind": kind}


def _due_data(scene: Scene) -> dict[str, Any]:
    """A valid due-date change, a new date each time: supervisors may, agents may not."""
    scene.support.refresh_from_db()
    due = timezone.now() + timedelta(days=3, minutes=next(scene.counter))
    return {"version": scene.support.version, "due_at": due.strftime("%Y-%m-%d %H:%M")}


def _queue(name: str) -> Kwargs:
    return lambda scene: {"queue": name}


def _jump(scene: Scene) -> dict[str, Any]:
    return {"number": scene.support.number}


def _search(scene: Scene) -> dict[str, Any]:
    return {"q": scene.support.number}


def _matching(scene: Scene) -> dict[str, Any]:
    return {"queue": "open"}


def _bulk_job(scene: Scene) -> dict[str, Any]:
    """A bulk action Alice asked for (made once, on first use)."""
    job, _new = BulkJob.objects.get_or_create(
        agent=scene.world.agent, action="close", defaults={"created_at": timezone.now()}
    )
    return {"pk": job.pk}


# What the selection bar sends (desk/_bulk_bar.html): the job's and the export's.
BULK_FIELDS = ("action", "t", "scope", "queue", "sort", "back", *BULK_TYPED, *queues.FILTERS)


def _lookup(scene: Scene) -> dict[str, Any]:
    return {"lookup": scene.support.customer.email}


def account_uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def _account_link(name: str, user: str, token: str) -> Kwargs:
    """The arguments of an account link (registration confirmation, password
    reset) for one of the scene's accounts ("alice": the agent role's): a valid
    token is made when the request is sent, for the account as it is then."""

    def kwargs(scene: Scene) -> dict[str, Any]:
        person: User = getattr(scene, user) if user != "alice" else scene.world.agent.user
        generator = confirmation_tokens if name == "portal:confirm" else reset_tokens
        made = {
            "valid": lambda: generator.make_token(person),
            "forged": lambda: FORGED_ACCOUNT_TOKEN,
            "set-password": lambda: SET_PASSWORD,
        }.get(token, lambda: getattr(scene, token))()
        return {"uidb64": account_uid(person), "token": made}

    return kwargs


def _follow(name: str, user: str) -> Prepare:
    """Open the valid link first: Django keeps its token in the session and sends
    the visitor on to the set-password page."""

    def prepare(scene: Scene, client: Client) -> None:
        response = client.get(reverse(name, kwargs=_account_link(name, user, "valid")(scene)))
        assert response.status_code == 302, response

    return prepare


def _password_step(scene: Scene, client: Client) -> None:
    """What the desk's sign-in leaves in the session of an agent with two-factor
    sign-in who gave the right password: who, and that it was just now."""
    session = client.session
    user = scene.enrolled
    session[PENDING_KEY] = {
        "user": user.pk,
        "hash": user.get_session_auth_hash(),
        "next": "",
        "at": time.time(),
    }
    session.save()


def _start_enrolment(scene: Scene, client: Client) -> None:
    """Set up an app first (agents only), so a code reaches the new secret."""
    client.post(reverse("desk:two_factor_start"))


def _action_cases() -> list[Case]:
    """Each ticket action on the Support ticket (an empty form: refused, nothing
    changes), the due date with a valid form (supervisors may, agents may not)."""
    return [
        Case(
            "desk:action",
            f"support, {name}",
            _action("support", name),
            ("POST",),
            data=_due_data if name == "due" else _nothing,
            fields=_fields(spec.form),
        )
        for name, spec in ACTIONS.items()
    ]


# What the queue and report pages read, from their own modules (a new filter is
# swept without a change here).
QUEUE_PARAMS = ("sort", "page", *queues.FILTERS)
REPORT_PARAMS = (*report_views.REPORT_PARAMS, "table")


def _web() -> list[Case]:
    from django.contrib.auth.forms import SetPasswordForm

    from helpline.desk.forms import LoginForm as DeskLogin
    from helpline.desk.forms import NewTicketForm
    from helpline.desk.forms import ReplyForm as DeskReply
    from helpline.desk.linked import LinkForm, MergeForm, SplitForm, UnlinkForm
    from helpline.desk.views.twofactor import CodeForm, ProofForm
    from helpline.feedback.forms import RatingForm
    from helpline.portal.forms import (
        AccountSetupForm,
        LoginForm,
        NewPasswordForm,
        OpenTicketForm,
        PersonForm,
        RegisterForm,
        ReplyForm,
        StatusForm,
    )
    from helpline.web.passwords import ResetRequestForm

    post, both = ("POST",), ("GET", "POST")
    desk_login = _fields(DeskLogin, "next")
    code = _fields(CodeForm)

    def account_links(
        name: str, user: str, fields: tuple[str, ...], stranger: tuple[str, str]
    ) -> list[Case]:
        """A set-password link: valid (on to the set-password page), followed (that
        page, its token in the session), forged, expired, and the valid link of
        an account the page does not serve (`stranger`: what it is, whose)."""
        expired = {"desk": "expired_desk_reset", "portal": "expired_portal_reset"}
        other, whose = stranger
        return [
            Case(name, "valid", _account_link(name, user, "valid"), both),
            Case(
                name,
                "link followed",
                _account_link(name, user, SET_PASSWORD),
                both,
                fields=fields,
                prepare=_follow(name, user),
            ),
            Case(name, "forged", _account_link(name, user, "forged"), both),
            Case(
                name,
                "expired",
                _account_link(
                    name,
                    user,
                    "expired_confirm" if user == "pending" else expired[name.split(":")[0]],
                ),
                both,
            ),
            Case(name, other, _account_link(name, whose, "valid"), both),
        ]

    return [
        # --- health endpoints (helpline.ops)
        Case("ops:healthz"),
        Case("ops:readyz"),
        # --- desk
        Case("desk:dashboard", params=QUEUE_PARAMS),
        Case("desk:login", methods=both, params=("next",), fields=desk_login),
        Case("desk:logout", methods=post),
        Case(
            "desk:login_code",
            "after the password step",
            methods=both,
            fields=code,
            prepare=_password_step,
        ),
        Case("desk:login_code", "no password step", methods=both, fields=code),
        Case("desk:password_reset", methods=both, fields=_fields(ResetRequestForm)),
        Case("desk:password_reset_sent"),
        *account_links(
            "desk:password_reset_confirm",
            "reset_agent",
            _fields(SetPasswordForm),
            stranger=("a customer's link", "reset_customer"),
        ),
        # The set-password page of another agent than the link's: refused.
        Case(
            "desk:password_reset_confirm",
            "another agent's set-password page",
            _account_link("desk:password_reset_confirm", "alice", SET_PASSWORD),
            both,
            prepare=_follow("desk:password_reset_confirm", "reset_agent"),
        ),
        Case("desk:two_factor"),
        Case("desk:two_factor_start", methods=post),
        Case("desk:two_factor_confirm", "nothing started", methods=post, fields=code),
        Case(
            "desk:two_factor_confirm",
            "after start",
            methods=post,
            fields=code,
            prepare=_start_enrolment,
        ),
        # Each a page of its own (GET: its form), the codes after proof.
        Case("desk:two_factor_codes", methods=both, fields=_fields(ProofForm)),
        Case("desk:two_factor_disable", methods=both, fields=code),
        Case("desk:profile", methods=both, fields=("language", "signature")),
        Case("desk:away", methods=post, fields=("away", "until", "next")),
        Case("desk:queue", "open", _queue("open"), params=QUEUE_PARAMS),
        Case("desk:queue", "closed", _queue("closed"), params=QUEUE_PARAMS),
        Case("desk:queue", "no such queue", _queue("nope"), params=QUEUE_PARAMS),
        Case("desk:jump", query=_jump, params=("number",)),
        # Bulk actions: an empty POST reaches the gate and the form (400: nothing
        # ticked); a job's page is its agent's alone.
        Case("desk:next_ticket", methods=post, fields=("take",)),
        Case("desk:bulk_start", methods=post, fields=BULK_FIELDS),
        Case("desk:bulk_matching", query=_matching, params=("queue", *queues.FILTERS)),
        Case("desk:bulk_job", "Alice's", _bulk_job),
        Case("desk:search", query=_search, params=("q", "order", "cursor", *queues.FILTERS)),
        Case("desk:search_suggest", query=_search, params=("q",)),
        Case("desk:customer_lookup", query=_lookup, params=("lookup",)),
        Case("desk:new_ticket", methods=both, fields=_fields(NewTicketForm)),
        Case("desk:ticket", "support", _ticket("support")),
        Case("desk:ticket", "sales", _ticket("sales")),
        Case("desk:ticket", "missing", _ticket("missing")),
        Case("desk:attachment", "support, customer's file", _ticket("support", "public_file")),
        Case("desk:attachment", "support, note's file", _ticket("support", "note_file")),
        Case("desk:attachment", "support, a Sales file", _ticket("support", "sales_file")),
        Case("desk:attachment", "sales, its file", _ticket("sales", "sales_file")),
        Case("desk:attachment", "support, missing file", _ticket("support", "missing")),
        # A PDF's previews: the same gate as its download.
        *(
            Case(f"desk:attachment_{preview}", variant, kwargs)
            for preview in ("thumbnail", "pages")
            for variant, kwargs in (
                ("support, customer's PDF", _ticket("support", "public_pdf")),
                ("support, note's PDF", _ticket("support", "note_pdf")),
                ("support, a Sales file", _ticket("support", "sales_file")),
            )
        ),
        Case(
            "desk:attachment_page",
            "support, customer's PDF, page 1",
            _page(_ticket("support", "public_pdf"), 1),
        ),
        Case(
            "desk:attachment_page",
            "support, customer's PDF, no such page",
            _page(_ticket("support", "public_pdf"), 3),
        ),
        Case(
            "desk:attachment_page",
            "support, a Sales file, page 1",
            _page(_ticket("support", "sales_file"), 1),
        ),
        *_action_cases(),
        Case(
            "desk:action",
            "sales, reply",
            _action("sales", "reply"),
            post,
            fields=_fields(DeskReply),
        ),
        Case("desk:action", "support, no such action", _action("support", "nope"), post),
        # The ticket page's live parts: presence (who is here) and drafts.
        Case("desk:presence", "support", _ticket("support"), post, fields=("opened",)),
        Case("desk:presence", "sales", _ticket("sales"), post, fields=("opened",)),
        Case("desk:draft", "support, reply", _draft("support", "reply"), post, fields=("body",)),
        Case("desk:draft", "support, note", _draft("support", "note"), post, fields=("body",)),
        Case("desk:draft", "sales, reply", _draft("sales", "reply"), post, fields=("body",)),
        Case("desk:draft", "support, no such kind", _draft("support", "nope"), post),
        # "I'm on it": the box (htmx GET) for who sees the ticket; marking, for who
        # may answer it.
        Case("desk:on_it", "support", _ticket("support"), methods=both, fields=("do",)),
        Case("desk:on_it", "sales", _ticket("sales"), methods=both, fields=("do",)),
        # Canned replies: picked on a ticket one may answer; managed by their owner,
        # Support's shared ones by its supervisor and the administrators.
        # Merging, linking, splitting (desk.views.linking): the merge's preview for
        # who sees the ticket; each change refuses an empty form.
        Case("desk:merge_preview", "support", _ticket("support"), params=("into",)),
        Case("desk:merge_preview", "sales", _ticket("sales"), params=("into",)),
        Case("desk:merge", "support", _ticket("support"), post, fields=_fields(MergeForm)),
        Case("desk:unmerge", "support", _ticket("support"), post),
        Case("desk:link", "support", _ticket("support"), post, fields=_fields(LinkForm)),
        Case("desk:unlink", "support", _ticket("support"), post, fields=_fields(UnlinkForm)),
        Case("desk:split", "support", _ticket("support"), post, fields=_fields(SplitForm)),
        Case("desk:canned_pick", "support", _ticket("support"), params=("canned_q",)),
        Case("desk:canned_pick", "sales", _ticket("sales"), params=("canned_q",)),
        Case("desk:canned"),
        Case("desk:canned_new", methods=both, fields=_fields(CannedReplyForm)),
        Case(
            "desk:canned_edit",
            "support shared",
            _canned(SHARED_CANNED),
            both,
            fields=_fields(CannedReplyForm),
        ),
        Case(
            "desk:canned_edit",
            "alice's own",
            _canned(OWN_CANNED),
            both,
            fields=_fields(CannedReplyForm),
        ),
        Case("desk:canned_delete", "support shared", _fresh_canned(None), post),
        Case("desk:canned_delete", "alice's own", _fresh_canned("agent"), post),
        *_task_cases(),
        *_view_cases(),
        # --- reports
        Case("reports:page", params=REPORT_PARAMS),
        Case("reports:data", params=REPORT_PARAMS),
        Case("reports:export", params=REPORT_PARAMS),
        Case("reports:queue_export", "open", _queue("open"), params=QUEUE_PARAMS),
        Case("reports:queue_export", "no such queue", _queue("nope"), params=QUEUE_PARAMS),
        Case("reports:search_export", query=_search, params=("q", *queues.FILTERS)),
        Case("reports:selection_export", methods=post, fields=BULK_FIELDS),
        # --- rating links
        Case(
            "feedback:rate",
            "valid",
            _token("rating"),
            both,
            params=("score",),
            fields=_fields(RatingForm, "next"),
        ),
        Case("feedback:rate", "forged", _token("forged"), both),
        Case("feedback:rate", "expired", _token("expired_rating"), both),
        Case("feedback:thanks", "valid", _token("rating")),
        Case("feedback:thanks", "forged", _token("forged")),
        # --- portal
        # i18n: the JavaScript catalog and the language selector (helpline/urls.py).
        Case(
            "jsi18n",
            kwargs=lambda s: {"language": "de", "version": catalog("de").version},
        ),
        Case("choose_language", methods=post, fields=("language", "next")),
        Case("portal:home"),
        Case(
            "portal:open",
            methods=both,
            params=("topic",),
            fields=_fields(OpenTicketForm, "attachments"),
        ),
        Case("portal:thanks"),
        Case("portal:status", methods=both, fields=_fields(StatusForm)),
        Case("portal:register", methods=both, fields=_fields(RegisterForm)),
        *account_links(
            "portal:confirm",
            "pending",
            _fields(AccountSetupForm),
            stranger=("an active account", "reset_customer"),
        ),
        Case("portal:login", methods=both, params=("next",), fields=_fields(LoginForm, "next")),
        Case("portal:logout", methods=post),
        Case("portal:password_reset", methods=both, fields=_fields(ResetRequestForm)),
        Case("portal:password_reset_sent"),
        *account_links(
            "portal:password_reset_confirm",
            "reset_customer",
            _fields(NewPasswordForm),
            stranger=("an agent's link", "reset_agent"),
        ),
        Case("portal:my_tickets", params=("page", "q", "cursor")),
        Case("portal:ticket", "support", _ticket("support")),
        Case("portal:ticket", "missing", _ticket("missing")),
        Case(
            "portal:reply",
            "support",
            _ticket("support"),
            post,
            fields=_fields(ReplyForm, "attachments"),
        ),
        Case("portal:people", "support", _ticket("support"), post, fields=_fields(PersonForm)),
        Case("portal:file", "support, customer's file", _ticket("support", "public_file")),
        Case("portal:file", "support, note's file", _ticket("support", "note_file")),
        Case("portal:file", "support, a Sales file", _ticket("support", "sales_file")),
        *(
            Case(f"portal:file_{preview}", variant, kwargs)
            for preview in ("thumbnail", "pages")
            for variant, kwargs in (
                ("support, customer's PDF", _ticket("support", "public_pdf")),
                ("support, note's PDF", _ticket("support", "note_pdf")),
            )
        ),
        Case(
            "portal:file_page",
            "support, customer's PDF, page 1",
            _page(_ticket("support", "public_pdf"), 1),
        ),
        Case(
            "portal:file_page",
            "support, note's PDF, page 1",
            _page(_ticket("support", "note_pdf"), 1),
        ),
        Case("portal:signed_ticket", "valid", _token("link")),
        Case("portal:signed_ticket", "forged", _token("forged")),
        Case("portal:signed_ticket", "expired", _token("expired_link")),
        Case(
            "portal:signed_reply",
            "valid",
            _token("link"),
            post,
            fields=_fields(ReplyForm, "attachments"),
        ),
        Case("portal:signed_reply", "forged", _token("forged"), post),
        Case("portal:signed_people", "valid", _token("link"), post, fields=_fields(PersonForm)),
        Case("portal:signed_people", "forged", _token("forged"), post),
        Case("portal:signed_file", "customer's file", _signed_file("public_file")),
        Case("portal:signed_file", "note's file", _signed_file("note_file")),
        *(
            Case(f"portal:signed_file_{preview}", variant, kwargs)
            for preview in ("thumbnail", "pages")
            for variant, kwargs in (
                ("customer's PDF", _signed_file("public_pdf")),
                ("note's PDF", _signed_file("note_pdf")),
            )
        ),
        Case(
            "portal:signed_file_page",
            "customer's PDF, page 1",
            _page(_signed_file("public_pdf"), 1),
        ),
        Case("portal:signed_file_page", "note's PDF, page 1", _page(_signed_file("note_pdf"), 1)),
    ]


WEB: list[Case] = _web()


# --- the Django admin ---------------------------------------------------------------------

# One row of each model the admin shows that the scene does not make anyway, so
# every change, delete and history page renders a real object.
ADMIN_ROWS: dict[str, Callable[[World], object]] = {
    "auth.Group": lambda w: Group.objects.create(name="Auditors"),
    "accounts.Organization": lambda w: Organization.objects.create(name="Acme"),
    "automation.Rule": lambda w: _create("automation.Rule", name="Route printers"),
    "automation.CannedReply": lambda w: _create(
        "automation.CannedReply", title="Thanks", body_html="<p>Thanks.</p>"
    ),
    "intake.Mailbox": lambda w: _create(
        "intake.Mailbox", department=w.support, address="support@example.com"
    ),
    "intake.QuarantinedMessage": lambda w: _create(
        "intake.QuarantinedMessage", raw=b"Subject: x\r\n\r\nbody", reason="No sender"
    ),
    "intake.ProcessedMessage": lambda w: _create("intake.ProcessedMessage", outcome="ticket"),
    "api.ApiKey": lambda w: make_key(name="Admin page"),
    "api.AgentToken": lambda w: make_token(w.agent),
    "sla.BusinessSchedule": lambda w: _create(
        "sla.BusinessSchedule", name="Office", time_zone="Europe/Berlin"
    ),
    "sla.EscalationPolicy": lambda w: _create("sla.EscalationPolicy", name="Printers"),
    # Inactive: a ticket the matrix opens on Printers gets no task from it.
    "ticket_tasks.TaskTemplate": lambda w: _create(
        "ticket_tasks.TaskTemplate", topic=w.topic, title="Check the toner", is_active=False
    ),
    # A row an earlier version left: its function is no task any more.
    "django_tasks_database.DBTaskResult": lambda w: _create(
        "django_tasks_database.DBTaskResult",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="helpline.portal.tasks.mail_ticket_link",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    ),
    "axes.AccessAttempt": lambda w: _axes(
        "axes.AccessAttempt", get_data="", post_data="", failures_since_start=3
    ),
    "axes.AccessLog": lambda w: _axes("axes.AccessLog"),
    "axes.AccessFailureLog": lambda w: _axes("axes.AccessFailureLog"),
}


def _axes(label: str, **values: Any) -> object:
    return _create(
        label,
        user_agent="curl",
        http_accept="*/*",
        path_info="/desk/login/",
        username="mallory",
        ip_address="192.0.2.1",
        **values,
    )


def _create(label: str, **values: Any) -> object:
    from django.apps import apps

    return apps.get_model(label).objects.create(**values)


def _admin_rows(world: World) -> None:
    for model in admin.site._registry:
        make = ADMIN_ROWS.get(model._meta.label)
        if make is not None and not model._default_manager.exists():
            make(world)


# The pages every ModelAdmin has, by their URL name's suffix ("" for the unnamed
# `<object_id>/` pattern that redirects to the change page).
MODEL_ROUTES = ("changelist", "add", "change", "delete", "history", "")


def _object_url(route: str, model: type[models.Model], scene: Scene) -> str:
    return f"/{route}{_first_pk(model)}/"


def _first_pk(model: type[models.Model]) -> str:
    row = model._default_manager.order_by("pk").first()
    return str(row.pk) if row is not None else str(MISSING_ID)


def admin_cases() -> list[Case]:
    cases = [
        Case("admin:index", params=("q",)),
        Case(
            "admin:login",
            methods=("GET", "POST"),
            params=("next",),
            fields=("username", "password", "next"),
        ),
        Case("admin:logout", methods=("POST",)),
        Case(
            "admin:password_change",
            methods=("GET", "POST"),
            fields=("old_password", "new_password1", "new_password2"),
        ),
        Case("admin:password_change_done"),
        Case(
            "admin:autocomplete", params=("term", "app_label", "model_name", "field_name", "page")
        ),
        Case("admin:jsi18n"),
        Case(
            "admin:auth_user_password_change",
            "Alice",
            lambda s: {"id": s.world.agent.user.pk},
            ("GET", "POST"),
            fields=("password1", "password2", "usable_password"),
        ),
        Case(
            "admin:view_on_site",
            "a ticket's customer",
            lambda s: {
                "content_type_id": _ct("accounts.Customer"),
                "object_id": s.world.customer.pk,
            },
        ),
        Case("admin:app_list", "tickets", lambda s: {"app_label": "tickets"}),
        Case("admin/(?P<url>.*)$", "no such page", url=lambda s: "/admin/no/such/page/"),
        Case(
            "admin:intake_quarantinedmessage_download",
            "first",
            lambda s: {"pk": _first_pk(_model("intake.QuarantinedMessage"))},
        ),
        # An agent's authenticator secret, as a page and as a QR code.
        Case("admin:otp_totp_totpdevice_config", "first", lambda s: {"pk": _first_pk(TOTPDevice)}),
        Case("admin:otp_totp_totpdevice_qrcode", "first", lambda s: {"pk": _first_pk(TOTPDevice)}),
    ]
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        filters = tuple(_filter_params(model_admin))
        for suffix in MODEL_ROUTES:
            label = model._meta.label
            if suffix in ("changelist", "add"):
                kwargs: Kwargs = _nothing
            else:

                def kwargs(scene: Scene, model: Any = model) -> dict[str, Any]:
                    return {"object_id": _first_pk(model)}

            if suffix:
                cases.append(
                    Case(
                        f"{info}_{suffix}",
                        kwargs=kwargs,
                        methods=("GET", "POST") if suffix in ("add", "change") else ("GET",),
                        params=("q", "o", "p", "all", "e", "_popup", "_to_field", *filters)
                        if suffix == "changelist"
                        else ("_changelist_filters", "_popup", "_to_field"),
                        fields=tuple(_model_fields(model)),
                        audience=Audience.ADMIN_SITE,
                    )
                )
            else:
                route = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
                cases.append(
                    Case(
                        route + "<path:object_id>/",
                        label,
                        url=partial(_object_url, route, model),
                        audience=Audience.ADMIN_SITE,
                    )
                )
    return [
        c if c.audience else Case(**{**c.__dict__, "audience": Audience.ADMIN_SITE}) for c in cases
    ]


def _model(label: str) -> type[models.Model]:
    from django.apps import apps

    return apps.get_model(label)


def _ct(label: str) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(_model(label)).pk


def _filter_params(model_admin: admin.ModelAdmin) -> Iterator[str]:
    for item in model_admin.list_filter:
        if isinstance(item, str):
            yield f"{item}__exact"
            yield f"{item}__id__exact"
            yield f"{item}__isnull"
        elif isinstance(item, tuple | list):
            yield f"{item[0]}__exact"
        elif isinstance(name := getattr(item, "parameter_name", None), str):
            yield name
    if model_admin.date_hierarchy:
        for part in ("year", "month", "day"):
            yield f"{model_admin.date_hierarchy}__{part}"


def _model_fields(model: type[models.Model]) -> Iterator[str]:
    for f in model._meta.get_fields():
        if getattr(f, "editable", False) and not getattr(f, "auto_created", False):
            yield f.name


# --- the API (for the web roles: a session never authenticates it) -----------------------


NINJA_PAGES = ("api:openapi-json", "api:openapi-view", "api:api-root")


def api_cases() -> list[Case]:
    """Every ninja route (by URL name) with the methods its OpenAPI path takes, and
    the osTicket endpoints."""
    from helpline.api.rest import api
    from helpline.lib.access import routes

    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    cases: list[Case] = []
    for route in routes():
        if not route.name.startswith("api:") or route.name in NINJA_PAGES:
            continue
        operations = schema["paths"].get("/" + route.route.replace("<", "{").replace(">", "}"), {})
        cases.append(
            Case(
                route.name,
                kwargs=_api_kwargs(route.route),
                methods=tuple(sorted(m.upper() for m in operations)),
                params=tuple(_query_params(operations)),
                fields=tuple(_body_fields(operations, components)),
                audience=Audience.API,
            )
        )
    cases += [
        Case("api:openapi-json", audience=Audience.API),
        Case("api:openapi-view", audience=Audience.API),
        Case("api:api-root", audience=Audience.API),
        Case(
            r"api/^(?P<rest>[\s\S]*)$",
            "no such endpoint",
            url=lambda s: "/api/v1/no/such/endpoint",
            audience=Audience.API,
        ),
    ]
    for fmt in ("json", "xml", "email"):
        cases.append(
            Case(
                "osticket-create",
                fmt,
                partial(_fmt, fmt),
                ("POST",),
                audience=Audience.API,
            )
        )
    return cases


def _fmt(fmt: str, scene: Scene) -> dict[str, Any]:
    return {"fmt": fmt}


def _api_kwargs(route: str) -> Kwargs:
    def kwargs(scene: Scene) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if "<number>" in route:
            found["number"] = scene.support.number
        if "<attachment_id>" in route:
            found["attachment_id"] = scene.public_file.pk
        if "<job_id>" in route:  # a bulk action: Alice's
            found["job_id"] = _bulk_job(scene)["pk"]
        return found

    return kwargs


def _query_params(operations: dict[str, Any]) -> Iterator[str]:
    for operation in operations.values():
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query":
                yield parameter["name"]


def _body_fields(operations: dict[str, Any], components: dict[str, Any]) -> Iterator[str]:
    for operation in operations.values():
        content = operation.get("requestBody", {}).get("content", {})
        for media in content.values():
            ref = media.get("schema", {}).get("$ref", "")
            schema = components.get(ref.rsplit("/", 1)[-1], media.get("schema", {}))
            yield from schema.get("properties", {})


def all_cases() -> list[Case]:
    return [*WEB, *admin_cases(), *api_cases()]


def one_per_pattern(cases: list[Case]) -> list[Case]:
    """The first case of each URL pattern that needs nothing done before it: a
    path for every route (the HEAD and no-store checks)."""
    found: dict[str, Case] = {}
    for case in cases:
        if case.prepare is None:
            found.setdefault(case.pattern, case)
    return list(found.values())


def pattern_key(route: str, name: str) -> str:
    """How the catalog names a URL pattern: its URL name, else its route."""
    return name or route
