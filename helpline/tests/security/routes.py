"""The route catalog of the security sweeps: every URL pattern of the site, how to
fill its arguments, the methods it takes and the inputs it reads.

The access matrix (test_access_matrix.py) and the bad-input sweep
(test_bad_input_*.py) walk this catalog, and both fail for a URL pattern that it
does not know, so a new page is added here once and is then checked by both.

- `Scene` is the data every case needs, built on the shared `world`
  (helpline/conftest.py): Ken's tickets in Support and in Sales, files on them (one
  on an internal note), signed ticket and rating links (valid, forged, expired), a
  pending registration, and a row of every model the Django admin shows.
- `WEB` lists the cases of the desk, the portal, the reports and the rating pages:
  one URL name with its arguments ("the Support ticket", "the note's file").
- `admin_cases()` and `api_cases()` are derived from the admin's registry and the
  API's OpenAPI schema: every ModelAdmin gets the same six routes, every API path
  its methods.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Agent, Customer, Organization, User
from helpline.api.tests.conftest import make_key, make_token
from helpline.conftest import World
from helpline.desk.views.ticket import ACTIONS
from helpline.feedback.links import rating_token
from helpline.lib.access import Audience
from helpline.notify.defaults import ensure_templates
from helpline.portal.accounts import confirmation_token
from helpline.portal.links import ticket_token
from helpline.tickets import lifecycle
from helpline.tickets.models import Attachment, Event, EventKind, Ticket, TopicField

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
    link: str  # Ken's signed link to `support`
    expired_link: str
    rating: str  # the rating link of `resolved`'s resolution
    expired_rating: str
    api_key: str  # an API key with every scope
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

    def pending_registration(self) -> str:
        """A new registration's confirmation token (confirming uses it up)."""
        n = next(self.counter)
        user = User.objects.create_user(
            username=f"pending{n}@example.net", email=f"pending{n}@example.net", is_active=False
        )
        return confirmation_token(user)


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

    def request(self, role: str, case: Case, method: str) -> Any:
        cache.clear()  # rate limits count every role's requests from one address
        client = self.client(role)
        path = case.path(self.scene)
        query = case.query(self.scene)
        if method == "GET":
            response = client.get(path, query)
        else:
            url = f"{path}?{urlencode(query)}" if query else path
            response = client.post(url, case.data(self.scene))
        return response


def _upload(name: str) -> lifecycle.Upload:
    return lifecycle.Upload(name, "text/plain", b"contents of " + name.encode())


def build_scene(world: World, *, admin_rows: bool = True) -> Scene:
    # The mail templates a new install has (a transactional test before this one
    # may have emptied the table), so the tickets below leave mail in the outbox.
    ensure_templates()
    for key, kind in (("serial", TopicField.Kind.NUMBER), ("bought", TopicField.Kind.DATE)):
        TopicField.objects.create(topic=world.topic, key=key, label=key.title(), kind=kind)
    support = world.open(
        "Printer on fire", uploads=[_upload("photo.txt")], extra={"serial": "12", "bought": ""}
    )
    support = lifecycle.add_note(
        support, actor=world.agent, body_html="<p>Internal.</p>", uploads=[_upload("note.txt")]
    )
    sales = world.open("Price list", topic=world.sales_topic, uploads=[_upload("quote.txt")])
    resolved = lifecycle.resolve(
        world.open("Paper jam"), actor=world.agent, explanation_html="<p>Done.</p>"
    )
    resolution = Event.objects.filter(ticket=resolved, kind=EventKind.RESOLVED).latest("id")
    files = {a.filename: a for a in Attachment.objects.all()}
    past = timezone.now() - timedelta(days=400)
    with time_machine.travel(past, tick=False):
        expired_link, expired_rating = ticket_token(support), rating_token(resolution)
    scene = Scene(
        world=world,
        support=support,
        sales=sales,
        resolved=resolved,
        public_file=files["photo.txt"],
        note_file=files["note.txt"],
        sales_file=files["quote.txt"],
        link=ticket_token(support),
        expired_link=expired_link,
        rating=rating_token(resolution),
        expired_rating=expired_rating,
        api_key=make_key(),
    )
    if admin_rows:
        _admin_rows(world)
    return scene


# --- the web pages ----------------------------------------------------------------------

Kwargs = Callable[[Scene], dict[str, Any]]
Data = Callable[[Scene], dict[str, Any]]


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


def _action(ticket: str, action: str) -> Kwargs:
    return lambda scene: {"number": getattr(scene, ticket).number, "action": action}


def _due_data(scene: Scene) -> dict[str, Any]:
    """A valid due-date change, a new date each time: supervisors may, agents may not."""
    scene.support.refresh_from_db()
    due = timezone.now() + timedelta(days=3, minutes=next(scene.counter))
    return {"version": scene.support.version, "due_at": due.strftime("%Y-%m-%d %H:%M")}


def _queue(name: str) -> Kwargs:
    return lambda scene: {"queue": name}


def _jump(scene: Scene) -> dict[str, Any]:
    return {"number": scene.support.number}


def _confirm(valid: bool) -> Kwargs:
    return lambda scene: {"token": scene.pending_registration() if valid else FORGED}


def _desk_forms() -> tuple[str, ...]:
    return _fields(*(spec.form for spec in ACTIONS.values()))


QUEUE_PARAMS = (
    "sort",
    "page",
    "department",
    "topic",
    "priority",
    "status",
    "assignee",
    "team",
    "customer",
)
REPORT_PARAMS = ("preset", "start", "end", "group", "tz", "table")


def _web() -> list[Case]:
    from helpline.desk.forms import LoginForm as DeskLogin
    from helpline.desk.forms import NewTicketForm
    from helpline.feedback.forms import RatingForm
    from helpline.portal.forms import (
        LoginForm,
        OpenTicketForm,
        RegisterForm,
        ReplyForm,
        StatusForm,
    )

    post, both = ("POST",), ("GET", "POST")
    desk_login = _fields(DeskLogin, "next")
    return [
        # --- desk
        Case("desk:dashboard", params=QUEUE_PARAMS),
        Case("desk:login", methods=both, params=("next",), fields=desk_login),
        Case("desk:logout", methods=post),
        Case("desk:queue", "open", _queue("open"), params=QUEUE_PARAMS),
        Case("desk:queue", "closed", _queue("closed"), params=QUEUE_PARAMS),
        Case("desk:queue", "no such queue", _queue("nope"), params=QUEUE_PARAMS),
        Case("desk:jump", query=_jump, params=("number",)),
        Case("desk:new_ticket", methods=both, fields=_fields(NewTicketForm)),
        Case("desk:ticket", "support", _ticket("support")),
        Case("desk:ticket", "sales", _ticket("sales")),
        Case("desk:ticket", "missing", _ticket("missing")),
        Case("desk:attachment", "support, customer's file", _ticket("support", "public_file")),
        Case("desk:attachment", "support, note's file", _ticket("support", "note_file")),
        Case("desk:attachment", "support, a Sales file", _ticket("support", "sales_file")),
        Case("desk:attachment", "sales, its file", _ticket("sales", "sales_file")),
        Case("desk:attachment", "support, missing file", _ticket("support", "missing")),
        Case(
            "desk:action", "support, reply", _action("support", "reply"), post, fields=_desk_forms()
        ),
        Case("desk:action", "support, due date", _action("support", "due"), post, data=_due_data),
        Case("desk:action", "sales, reply", _action("sales", "reply"), post, fields=_desk_forms()),
        Case("desk:action", "support, no such action", _action("support", "nope"), post),
        # --- reports
        Case("reports:page", params=REPORT_PARAMS),
        Case("reports:data", params=REPORT_PARAMS),
        Case("reports:export", params=REPORT_PARAMS),
        Case("reports:queue_export", "open", _queue("open"), params=QUEUE_PARAMS),
        Case("reports:queue_export", "no such queue", _queue("nope"), params=QUEUE_PARAMS),
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
        Case("portal:confirm", "valid", _confirm(valid=True)),
        Case("portal:confirm", "forged", _confirm(valid=False)),
        Case("portal:login", methods=both, params=("next",), fields=_fields(LoginForm, "next")),
        Case("portal:logout", methods=post),
        Case("portal:my_tickets", params=("page",)),
        Case("portal:ticket", "support", _ticket("support")),
        Case("portal:ticket", "missing", _ticket("missing")),
        Case(
            "portal:reply",
            "support",
            _ticket("support"),
            post,
            fields=_fields(ReplyForm, "attachments"),
        ),
        Case("portal:file", "support, customer's file", _ticket("support", "public_file")),
        Case("portal:file", "support, note's file", _ticket("support", "note_file")),
        Case("portal:file", "support, a Sales file", _ticket("support", "sales_file")),
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
        Case("portal:signed_file", "customer's file", _signed_file("public_file")),
        Case("portal:signed_file", "note's file", _signed_file("note_file")),
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


ADMIN_SITE_ROUTES = (
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:app_list",
    "admin/(?P<url>.*)$",
    "admin:intake_quarantinedmessage_download",
)
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
            "api/^(?P<rest>.*)$",
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


def pattern_key(route: str, name: str) -> str:
    """How the catalog names a URL pattern: its URL name, else its route."""
    return name or route
