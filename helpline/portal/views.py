"""The customer portal: open a ticket, check its status, read and answer it.

A channel only translates: these views parse forms, call one lifecycle function,
and render the result. A customer reaches a ticket either signed in (their own
tickets at /tickets/<number>/) or through a signed, expiring link (/t/<token>/).
Whoever asks for a ticket they may not see gets the same 404 whether or not it
exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from helpline.accounts import lockout, throttle
from helpline.accounts.customers import (
    customers_with_email,
    find_or_create_customer,
    is_agent_address,
)
from helpline.accounts.models import Customer
from helpline.accounts.passwords import Audience, valid_for
from helpline.lib.access import customer_only, public, signed_link
from helpline.lib.html import text_to_html
from helpline.lib.landing import landing
from helpline.lib.ratelimit import per_address
from helpline.portal import merged
from helpline.portal.forms import (
    LoginForm,
    NewPasswordForm,
    OpenTicketForm,
    PersonForm,
    ReplyForm,
    StatusForm,
)
from helpline.portal.tasks import mail_ticket_link
from helpline.search.query import BadSearch
from helpline.search.service import search
from helpline.tickets import lifecycle
from helpline.tickets.downloads import attachment_response
from helpline.tickets.lifecycle import LifecycleError
from helpline.tickets.links import (
    ticket_from_token,
    ticket_token,
    ticket_token_expired,
    ticket_url,
)
from helpline.tickets.models import (
    Attachment,
    Collaborator,
    Entry,
    EntryKind,
    Source,
    State,
    Ticket,
)
from helpline.web import passwords as web_passwords
from helpline.web.auth import current_customer

log = logging.getLogger(__name__)

# The entry kinds a customer may read; anything else (internal notes, and any kind
# added later) stays hidden unless it is added here on purpose.
PUBLIC_KINDS = (EntryKind.MESSAGE, EntryKind.REPLY)
# The signed link to the ticket just opened, kept for the "thank you" page.
OPENED_KEY = "portal.opened_token"
MY_TICKETS_PAGE_SIZE = 20
FOLLOWING_SHOWN = 20


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    # A path of this site only: `redirect()` would take a bare word for a URL name.
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        # A form's address (a ticket's reply) is not a page: its ticket instead.
        return landing(target, reverse("portal:my_tickets"))
    return None


# --- home, opening a ticket ----------------------------------------------------------


@public
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"section": "home"})


def _open(form: OpenTicketForm, customer: Customer | None) -> Ticket:
    data = form.cleaned_data
    with transaction.atomic():  # no customer row is left behind by a refused ticket
        if customer is None:
            customer = find_or_create_customer(
                name=data["name"], email=data["email"], phone=data["phone"].strip()
            )
        elif data["phone"].strip() and not customer.phone:
            customer = find_or_create_customer(
                name=customer.name, email=customer.email, phone=data["phone"].strip()
            )
        return lifecycle.open_ticket(
            lifecycle.NewTicket(
                customer=customer,
                subject=data["subject"],
                body_html=text_to_html(data["description"]),
                source=Source.WEB,
                topic=data["topic"],
                extra=data["extra"],
                uploads=data["attachments"],
                phone=data["phone"],
            ),
            actor=customer,
        )


@public
@require_http_methods(["GET", "HEAD", "POST"])
@per_address("20/h")
def open_ticket(request: HttpRequest) -> HttpResponse:
    customer = current_customer(request)
    files_dropped = False
    if request.method == "POST":
        form = OpenTicketForm(request.POST, request.FILES, customer=customer)
        if form.is_valid():
            try:
                ticket = _open(form, customer)
            except LifecycleError as error:
                form.add_error(None, error.message)
            else:
                request.session[OPENED_KEY] = ticket_token(ticket)
                return redirect("portal:thanks")
        files_dropped = bool(request.FILES)
    else:
        form = OpenTicketForm(customer=customer, initial={"topic": request.GET.get("topic")})
    return render(
        request,
        "portal/open.html",
        {"section": "open", "form": form, "customer": customer, "files_dropped": files_dropped},
    )


@public
@never_cache
@require_safe
def thanks(request: HttpRequest) -> HttpResponse:
    """After Post/Redirect/Get: the new ticket's number and its signed link.

    The link travels in the session only, never in a URL somebody could guess.
    """
    token = request.session.get(OPENED_KEY)
    ticket = ticket_from_token(token) if isinstance(token, str) else None
    if ticket is None:
        return redirect("portal:open")
    return render(
        request,
        "portal/thanks.html",
        {
            "section": "open",
            "ticket": ticket,
            "link": ticket_url(request, ticket),
            "own": current_customer(request) == ticket.customer,
            "link_days": settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS,
        },
    )


# --- status lookup -----------------------------------------------------------------


@public
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@per_address("10/m")
def status(request: HttpRequest) -> HttpResponse:
    """Mail the signed link of a ticket to its customer's address.

    The answer is the same whether or not the number belongs to a ticket of that
    address, and so is the work: the request hands what was typed to the worker
    (`portal.tasks.mail_ticket_link`), which looks the ticket up and mails the link
    only to the address. Knowing a customer's address and a ticket number is not
    enough to read the ticket, and neither the page nor its timing tells whether
    the ticket exists.
    """
    customer = current_customer(request)
    sent = False
    if request.method == "POST":
        form = StatusForm(request.POST)
        if form.is_valid():
            mail_ticket_link.enqueue(form.cleaned_data["email"], form.cleaned_data["number"])
            sent = True
    else:
        form = StatusForm(initial={"email": customer.email} if customer else None)
    return render(
        request,
        "portal/status.html",
        {
            "section": "status",
            "form": form,
            "sent": sent,
            "link_days": settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS,
        },
    )


# --- one ticket ------------------------------------------------------------------------


@dataclass
class Access:
    """How this person reached this ticket, and who they write as."""

    ticket: Ticket
    customer: Customer
    token: str = ""  # set when reached through a signed link

    @property
    def is_owner(self) -> bool:
        """The ticket's own customer (not somebody copied on it)."""
        return self.customer.pk == self.ticket.customer_id

    def url(self, name: str, **kwargs: Any) -> str:
        if self.token:
            return reverse(f"portal:signed_{name}", kwargs={"token": self.token, **kwargs})
        return reverse(f"portal:{name}", kwargs={"number": self.ticket.number, **kwargs})


@dataclass
class EntryView:
    entry: Entry
    files: list[tuple[Attachment, str]] = field(default_factory=list)


def _sign_in_to_see(request: HttpRequest) -> HttpResponse:
    """A ticket page asked by anybody but a signed-in customer (@customer_only's
    refusal): the same answer for every number, so it tells nothing about which
    exist."""
    return render(
        request, "portal/ticket_signin.html", {"next": request.get_full_path()}, status=404
    )


def _to_sign_in(request: HttpRequest) -> HttpResponse:
    """The customer's own pages, asked by anybody else: on to the sign-in."""
    return redirect_to_login(request.get_full_path(), reverse("portal:login"))


def _owned(request: HttpRequest, number: str) -> Access | HttpResponse:
    """The signed-in customer's own ticket, or one they follow (Cc); 404 for
    anybody else's or a missing one."""
    customer = current_customer(request)
    if customer is None:
        return _sign_in_to_see(request)
    follows = Collaborator.objects.filter(ticket=OuterRef("pk"), customer=customer)
    ticket = (
        Ticket.objects.select_related("status", "topic", "customer")
        .filter(Q(customer=customer) | Q(Exists(follows)), number=number)
        .first()
    )
    if ticket is None:
        raise Http404(_("No such ticket."))
    return Access(ticket=ticket, customer=customer)


def _signed(request: HttpRequest, token: str) -> Access | HttpResponse:
    ticket = ticket_from_token(token)
    if ticket is None:
        if ticket_token_expired(token):
            return render(
                request,
                "portal/link_expired.html",
                {"link_days": settings.HELPLINE_TICKET_LINK_MAX_AGE_DAYS},
                status=410,
            )
        raise Http404(_("No such ticket."))
    return Access(ticket=ticket, customer=ticket.customer, token=token)


def _badge(ticket: Ticket) -> str:
    if ticket.is_open:
        return "badge-open"
    if ticket.is_resolved:
        return "badge-resolved"
    return "badge-closed"


def _render_ticket(
    request: HttpRequest,
    access: Access,
    form: ReplyForm | None = None,
    *,
    files_dropped: bool = False,
    person_form: PersonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    ticket = access.ticket
    entries = [
        EntryView(
            entry=entry,
            files=[(a, access.url("file", attachment_id=a.pk)) for a in entry.attachments.all()],
        )
        for entry in ticket.entries.filter(kind__in=PUBLIC_KINDS).prefetch_related("attachments")
    ]
    return render(
        request,
        "portal/ticket.html",
        {
            "section": "my" if not access.token else "",
            "ticket": ticket,
            "entries": entries,
            "badge": _badge(ticket),
            "form": form or ReplyForm(),
            "reply_url": access.url("reply"),
            "followers": list(
                ticket.collaborators.select_related("customer").order_by("added_at", "id")
            ),
            "is_owner": access.is_owner,
            "person_form": person_form or PersonForm(),
            "people_url": access.url("people"),
            "archived": ticket.state == State.ARCHIVED,
            "files_dropped": files_dropped,
            "signed": bool(access.token),
            "ticket_url": access.url("ticket"),  # where the rating card returns to
            # Linked and merged tickets (portal.merged).
            **merged.context(ticket, access.customer, signed=bool(access.token)),
        },
        status=status,
    )


def _reply(request: HttpRequest, access: Access) -> HttpResponse:
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        was_open = access.ticket.is_open
        try:
            got = lifecycle.customer_reply(
                access.ticket,
                actor=access.customer,
                body_html=text_to_html(form.cleaned_data["body"] or ""),
                uploads=form.cleaned_data["attachments"],
                source=Source.WEB,
            )
        except LifecycleError as error:
            form.add_error(None, error.message)
        else:
            if access.ticket.merged_into_id is not None:  # it went to the survivor
                signed = bool(access.token)
                return merged.replied(request, access.ticket, got, access.customer, signed=signed)
            if got.pk != access.ticket.pk:  # past the reopen window: a follow-up ticket
                messages.success(
                    request,
                    _(
                        "This ticket was closed a while ago, so your message opened a new "
                        "ticket, #%(number)s."
                    )
                    % {"number": got.number},
                )
                followup = Access(ticket=got, customer=access.customer)
                if access.token:
                    followup.token = ticket_token(got)
                return redirect(followup.url("ticket"))
            note = "" if was_open else " " + _("The ticket is open again.")
            messages.success(request, _("Your reply was added.") + note)
            return redirect(access.url("ticket"))
    return _render_ticket(request, access, form, files_dropped=bool(request.FILES))


def _people(request: HttpRequest, access: Access) -> HttpResponse:
    """The ticket's customer copies somebody on it (Cc), or takes them off."""
    if not access.is_owner:
        raise Http404(_("No such ticket."))
    form = PersonForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("remove"):
                follower = Collaborator.objects.filter(
                    ticket=access.ticket, customer_id=data["remove"]
                ).first()
                if follower is None:
                    raise lifecycle.Refused(_("That person is not in copy."))
                lifecycle.remove_collaborator(
                    access.ticket, actor=access.customer, customer=follower.customer
                )
                done = _("%(name)s no longer gets the replies of this ticket.")
                name = follower.customer.email
            else:
                if is_agent_address(data["email"]):
                    raise lifecycle.Refused(_("That address cannot be copied on a ticket."))
                person = find_or_create_customer(name=data.get("name", ""), email=data["email"])
                lifecycle.add_collaborator(access.ticket, actor=access.customer, customer=person)
                done = _("%(name)s now gets the replies of this ticket.")
                # What they typed, never the name we hold for a known address:
                # the form must not tell a stranger who our customers are.
                name = data["email"]
        except LifecycleError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, done % {"name": name})
            return redirect(access.url("ticket") + "#people")
    return _render_ticket(request, access, person_form=form, status=400)


def public_file(access: Access, attachment_id: int) -> Attachment:
    """A file of the ticket's public thread (never a note's); 404 otherwise. The
    download and its previews (portal.previews) all ask here."""
    attachment = (
        Attachment.objects.select_related("entry")
        .filter(pk=attachment_id, entry__ticket=access.ticket, entry__kind__in=PUBLIC_KINDS)
        .first()
    )
    if attachment is None:
        raise Http404(_("No such file."))
    return attachment


def _file(request: HttpRequest, access: Access, attachment_id: int) -> HttpResponseBase:
    attachment = public_file(access, attachment_id)
    return attachment_response(attachment, inline=request.GET.get("view") == "1")


@customer_only(refuse=_sign_in_to_see)
@never_cache
@require_safe
def ticket(request: HttpRequest, number: str) -> HttpResponse:
    access = _owned(request, number)
    if isinstance(access, HttpResponse):
        return access
    moved = merged.redirect_merged(request, access.ticket, access.customer, signed=False)
    return moved or _render_ticket(request, access)


@customer_only(refuse=_sign_in_to_see)
@never_cache
@require_POST
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    access = _owned(request, number)
    return access if isinstance(access, HttpResponse) else _reply(request, access)


@customer_only(refuse=_sign_in_to_see)
@never_cache
@require_safe
def ticket_file(request: HttpRequest, number: str, attachment_id: int) -> HttpResponseBase:
    access = _owned(request, number)
    return access if isinstance(access, HttpResponse) else _file(request, access, attachment_id)


@customer_only(refuse=_sign_in_to_see)
@never_cache
@require_POST
@per_address("30/h")
def ticket_people(request: HttpRequest, number: str) -> HttpResponse:
    access = _owned(request, number)
    return access if isinstance(access, HttpResponse) else _people(request, access)


@signed_link
@never_cache
@require_POST
@per_address("30/h")
def signed_people(request: HttpRequest, token: str) -> HttpResponse:
    access = _signed(request, token)
    return access if isinstance(access, HttpResponse) else _people(request, access)


@signed_link
@never_cache
@require_safe
def signed_ticket(request: HttpRequest, token: str) -> HttpResponse:
    access = _signed(request, token)
    if isinstance(access, HttpResponse):
        return access
    moved = merged.redirect_merged(request, access.ticket, access.customer, signed=True)
    return moved or _render_ticket(request, access)


@signed_link
@never_cache
@require_POST
def signed_reply(request: HttpRequest, token: str) -> HttpResponse:
    access = _signed(request, token)
    return access if isinstance(access, HttpResponse) else _reply(request, access)


@signed_link
@never_cache
@require_safe
def signed_file(request: HttpRequest, token: str, attachment_id: int) -> HttpResponseBase:
    access = _signed(request, token)
    return access if isinstance(access, HttpResponse) else _file(request, access, attachment_id)


# --- customer accounts ---------------------------------------------------------------


@customer_only(refuse=_to_sign_in)
@never_cache
@require_safe
def my_tickets(request: HttpRequest) -> HttpResponse:
    customer = current_customer(request)
    if customer is None:
        return _to_sign_in(request)
    tickets = (
        Ticket.objects.filter(customer=customer)
        .select_related("status")
        # What the customer saw change: not internal work such as notes.
        .annotate(
            last_update=Greatest(
                Coalesce("last_message_at", "created_at"),
                Coalesce("last_response_at", "created_at"),
                Coalesce("resolved_at", "created_at"),
                Coalesce("closed_at", "created_at"),
            )
        )
        .order_by("-created_at", "-id")
    )
    typed = request.GET.get("q", "")[:1000]
    if typed.strip():
        return _search_mine(request, customer, typed)
    page = Paginator(tickets, MY_TICKETS_PAGE_SIZE).get_page(request.GET.get("page"))
    # Tickets of others the customer is copied on, newest first (a few: the list
    # is for finding one again, not for paging through).
    following = (
        Ticket.objects.filter(collaborators__customer=customer)
        .select_related("status")
        .order_by("-id")[:FOLLOWING_SHOWN]
    )
    context = {"section": "my", "page": page, "following": list(following)}
    return render(request, "portal/my_tickets.html", context)


def _search_mine(request: HttpRequest, customer: Customer, typed: str) -> HttpResponse:
    """The customer's search of their own tickets: the subject and the public
    thread (never a note), newest first, a page at a time."""
    context: dict[str, Any] = {"section": "my", "typed": typed}
    cursor = request.GET.get("cursor", "")
    try:
        context["results"] = search(
            typed, customer=customer, order="newest", cursor=cursor, limit=MY_TICKETS_PAGE_SIZE
        )
    except BadSearch as bad:
        context["error"] = bad.message
        return render(request, "portal/my_tickets.html", context, status=400)
    for hit in context["results"].hits:
        # What the list shows as "Last update" (my_tickets): what the customer saw
        # change, never internal work.
        t = hit.ticket
        t.last_update = max(
            t.last_message_at or t.created_at,
            t.last_response_at or t.created_at,
            t.resolved_at or t.created_at,
            t.closed_at or t.created_at,
        )
    if (after := context["results"].next_cursor) is not None:
        context["next_url"] = "?" + urlencode({"q": typed, "cursor": after})
    if cursor:
        context["first_url"] = "?" + urlencode({"q": typed})
    return render(request, "portal/my_tickets.html", context)


def is_staff_login(user: Any) -> bool:
    """Logins that sign in on the desk (where the second factor is asked), never on
    the portal: agents, and staff or superusers with no Agent row (made by
    `createsuperuser`), for whom the admin would open without that step."""
    return bool(hasattr(user, "agent") or user.is_staff or user.is_superuser)


def _locked(request: HttpRequest, username: str) -> HttpResponse:
    """The lockout page (django-axes' lock answers with it too, from its middleware)."""
    return lockout.lockout_page(request, username)


@public
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if current_customer(request) is not None and request.method == "GET":
        return redirect(next_url or "portal:my_tickets")
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"].strip()
            if throttle.login_blocked(request, email):
                return _locked(request, email)
            # Customers sign in with their address in any case; the login's own
            # username is what django-axes counts failures against.
            known = (
                customers_with_email(email).select_related("user").filter(user__isnull=False)
            ).first()
            username = known.user.username if known and known.user else email
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                if getattr(request, "axes_locked_out", False):
                    return _locked(request, username)
                throttle.login_failed(request, email)
                form.add_error(None, _("That email address and password do not match."))
            elif is_staff_login(user) or not Customer.objects.filter(user=user).exists():
                form.add_error(
                    None, _("This is a staff account: sign in on the agent desk instead.")
                )
            else:
                login(request, user)
                return redirect(next_url or "portal:my_tickets")
    else:
        form = LoginForm()
    return render(
        request, "portal/login.html", {"section": "login", "form": form, "next": next_url or ""}
    )


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("portal:home")


# --- password reset ------------------------------------------------------------------


@public
class ResetRequestView(web_passwords.ResetRequestView):
    template_name = "portal/password_reset.html"
    audience = Audience.CUSTOMERS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "section": "login"}

    def form_valid(self, form: Any) -> HttpResponse:
        form.queue()
        # POST/redirect/GET, as on the desk: reloading "check your mail" shows it
        # again and sends nothing. The same page whatever was typed, and whether
        # or not a mail goes out.
        self.request.session[RESET_EMAIL_KEY] = form.cleaned_data["email"]
        return redirect("portal:password_reset_sent")


# What was typed, for the page after the redirect (not the desk's key: one
# session may ask on both sides).
RESET_EMAIL_KEY = "helpline.portal.reset_email"


@public
@never_cache
@require_safe
def reset_sent(request: HttpRequest) -> HttpResponse:
    email = request.session.get(RESET_EMAIL_KEY, "")
    context = {"section": "login", "email": email, "valid_for": valid_for()}
    return render(request, "portal/password_reset_sent.html", context)


@signed_link
class ResetConfirmView(web_passwords.ResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("portal:login")
    audience = Audience.CUSTOMERS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "section": "login"}
