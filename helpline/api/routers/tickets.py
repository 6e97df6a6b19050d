"""Opening, reading and listing tickets; the thread and its attachments."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status as Answer
from pydantic import Field

from helpline.accounts.customers import customers_with_email, find_or_create_customer
from helpline.accounts.models import Agent, Department
from helpline.api import listing, throttles
from helpline.api.common import (
    TICKET_RELATIONS,
    TOPIC_RELATIONS,
    ApiError,
    caller_of,
    entry_out,
    find,
    get_ticket,
    not_found,
    ticket_out,
    visible_tickets,
)
from helpline.api.inputs import (
    BadInput,
    base64_size,
    check_file_size,
    check_files,
    decode_base64,
    message_html,
    parse_address,
    topic_answers,
)
from helpline.api.models import Scope
from helpline.api.routers import search as search_api
from helpline.api.routers.search import SearchText
from helpline.api.schemas import (
    Address,
    AttachmentIn,
    Cursor,
    EntryOut,
    ErrorOut,
    Id,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketPage,
    Time,
)
from helpline.api.security import keys
from helpline.desk import on_it
from helpline.lib.bounds import check_datetime
from helpline.tickets import lifecycle
from helpline.tickets.downloads import attachment_response
from helpline.tickets.models import (
    Attachment,
    Entry,
    EntryKind,
    HelpTopic,
    Priority,
    Status,
    Ticket,
)
from helpline.tickets.queues import QUEUES
from helpline.tickets.uploads import clean_filename

router = Router(tags=["tickets"])
READ = keys(Scope.READ)

# The kinds of entry the API channel (a key without an agent) may read.
PUBLIC_KINDS = (EntryKind.MESSAGE, EntryKind.REPLY)
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def uploads_from(
    attachments: list[AttachmentIn], field: str = "attachments"
) -> list[lifecycle.Upload]:
    """Base64 attachments checked against the attachment limits (the count
    before anything is decoded)."""
    limit = settings.HELPLINE_MAX_ATTACHMENTS
    if len(attachments) > limit:
        message = _("%(field)s: attach at most %(count)d files.")
        raise BadInput(message % {"field": field, "count": limit}, field)
    for i, a in enumerate(attachments):
        check_file_size(clean_filename(a.filename), base64_size(a.data), f"{field}.{i}")
    files = [
        (a.filename, decode_base64(a.data, f"{field}.{i}.data")) for i, a in enumerate(attachments)
    ]
    return check_files(files, field)


def prepared_body(
    text: str,
    fmt: str,
    field: str,
    uploads: list[lifecycle.Upload],
    *,
    require_text: bool = False,
) -> lifecycle.Body:
    """The message sanitized, bounded and rendered as text (lifecycle.prepare_body),
    once and here, before any transaction opens: the lifecycle stores it as it is.
    A message without text (and without files, unless `require_text`) is refused
    in the field's name."""
    html = message_html(text, "text/html" if fmt == "html" else "text/plain")
    try:
        return lifecycle.prepare_body(html, uploads, require_text=require_text)
    except lifecycle.Refused:
        message = (
            _("%(field)s: write the text; it cannot be empty.")
            if require_text
            else _("%(field)s: write a message or attach a file.")
        )
        raise BadInput(message % {"field": field}, field) from None


# --- create ----------------------------------------------------------------------------


@router.post(
    "",
    response={201: TicketOut, **ERRORS},
    auth=keys(Scope.CREATE, limits=throttles.CREATING),
    url_name="tickets",
    summary="Open a ticket",
)
def create_ticket(request: HttpRequest, payload: TicketIn) -> Answer[dict[str, Any]]:
    """Open a ticket for the customer with this address (created when new).

    A key without an agent opens it as the API channel; a key acting as an agent,
    or an agent's token, opens it as that agent (who needs access to the department).
    """
    caller = caller_of(request)
    name, address = parse_address(payload.email)
    topic = find(HelpTopic, payload.topic_id, "topic_id", related=TOPIC_RELATIONS, is_active=True)
    department = find(Department, payload.department_id, "department_id")
    priority = find(Priority, payload.priority_id, "priority_id")
    if topic is None and department is None:
        topic = (
            caller.default_topic
            if caller.default_topic and caller.default_topic.is_active
            else None
        )
        if topic is None:
            raise BadInput(_("topic_id: choose a help topic (or a department_id)."), "topic_id")
    subject = " ".join(payload.subject.split())
    if not subject:
        raise BadInput(_("subject: write a subject."), "subject")
    uploads = uploads_from(payload.attachments)
    # Sanitized here, before the transaction below: the lifecycle only stores it.
    body = prepared_body(payload.message, payload.format, "message", uploads)
    extra = topic_answers(topic, payload.fields, prefix="fields.")
    cc = [parse_address(a, f"cc.{i}")[1] for i, a in enumerate(payload.cc)]
    try:
        with transaction.atomic():
            customer = find_or_create_customer(
                name=payload.name or name, email=address, phone=payload.phone.strip()
            )
            followers = [find_or_create_customer(name="", email=a) for a in cc]
            ticket = lifecycle.open_ticket(
                lifecycle.NewTicket(
                    customer=customer,
                    subject=subject,
                    body_html=body,
                    source=payload.source,
                    topic=topic,
                    department=department,
                    priority=priority,
                    extra=extra,
                    collaborators=followers,
                    autorespond=payload.autorespond,
                    phone=payload.phone,
                ),
                actor=caller.agent,
            )
    except lifecycle.NotAllowed as error:
        raise ApiError(403, error.message, "department_id" if department else "topic_id") from None
    except (lifecycle.Refused, lifecycle.Rejected) as error:  # Rejected: a routing rule
        raise ApiError(422, error.message) from None
    # Not read again: open_ticket returns the ticket as it wrote it, with the rows
    # it was written with (a re-read was one more statement per ticket).
    return Answer(201, ticket_out(ticket))


# --- read ------------------------------------------------------------------------------


class TicketFilters(Schema):
    status: Id | None = Field(None, description="A status id.")
    state: Literal["open", "closed", "archived"] | None = None
    department: Id | None = None
    topic: Id | None = None
    priority: Id | None = None
    assignee: Annotated[str, Field(pattern=r"^(none|[0-9]{1,18})$")] | None = Field(
        None, description="An agent id, or `none` for unassigned tickets."
    )
    customer_email: Address | None = None
    updated_since: Time | None = None
    team: Id | None = Field(None, description="A team id.")
    queue: Literal["open", "mine", "unassigned", "overdue", "closed"] | None = Field(
        None,
        description="The desk's queue of that name (`mine` needs an agent token); the "
        "other filters narrow it, as on the queue page.",
    )
    q: SearchText | None = Field(
        None,
        description="A search, as `GET /api/v1/search` takes it: the tickets that match, "
        "newest first, narrowed by the other filters. The words must match as typed: "
        "unlike `/search`, a last word that matches nothing is not tried as the start "
        "of a word.",
    )
    cursor: Cursor | None = Field(None, description="`next_cursor` from the previous page.")
    limit: Annotated[int, Field(ge=1, le=100)] = 25


def encode_cursor(ticket: Ticket) -> str:
    raw = json.dumps([ticket.updated_at.isoformat(), ticket.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None or not isinstance(pk, int) or not 0 < pk < 2**63:
            raise ValueError
        # A forged cursor at year 1 or 9999 overflows when the query moves it to UTC.
        check_datetime(when)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadInput(
            _("cursor: not a cursor from this API; start without one."), "cursor"
        ) from None
    return when, pk


def _states(f: TicketFilters) -> list[str]:
    """The states to read: the one asked for, the status's own, or all of them."""
    states: list[str] = [f.state] if f.state is not None else listing.ALL_STATES
    if f.status is not None:
        state = Status.objects.filter(pk=f.status).values_list("state", flat=True).first()
        states = [s for s in states if s == state]
    return states


def _filtered(
    qs: QuerySet[Ticket], f: TicketFilters, agent: Agent | None = None
) -> QuerySet[Ticket]:
    if f.queue is not None:
        if f.queue == "mine" and agent is None:
            raise BadInput(_("queue: `mine` needs an agent token (whose tickets?)."), "queue")
        # The desk's own queue definition (helpline.tickets.queues), so the API's
        # queue is the page's queue.
        qs = qs.filter(QUEUES[f.queue].filter(agent))  # type: ignore[arg-type]
    for name in ("status", "department", "topic", "priority", "team"):
        if (value := getattr(f, name)) is not None:
            qs = qs.filter(**{f"{name}_id": value})
    if f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee is not None:
        qs = qs.filter(assignee_id=int(f.assignee))
    if f.customer_email:
        # Through the case-insensitive unique index on customers' addresses.
        customers = customers_with_email(f.customer_email)
        qs = qs.filter(customer_id__in=customers.values("pk"))
    if f.updated_since is not None:
        qs = qs.filter(updated_at__gte=f.updated_since)
    return qs


@router.get("", response={200: TicketPage, **ERRORS}, auth=READ, summary="List tickets")
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> dict[str, Any]:
    """Tickets the caller may see, last changed first, one page at a time.

    Each page is one query that starts where the last one ended (a keyset on
    `(updated_at, id)`, which the ticket indexes end in), so page 1,000 costs what
    page 1 costs and no ticket is skipped or repeated while tickets change. See
    `helpline.api.listing` for how a page across all states stays indexed.
    """
    caller = caller_of(request)
    qs = _filtered(visible_tickets(caller), filters, caller.agent)
    if filters.q is not None:
        # The search's own pages (its cursor is signed), within the list's filters.
        found = search_api.run(
            request,
            filters.q,
            within=qs.filter(state__in=_states(filters)),
            order="newest",
            cursor=filters.cursor or "",
            limit=filters.limit,
            counts=False,
            widen=False,
        )
        return {
            "items": [ticket_out(hit.ticket) for hit in found.hits],
            "next_cursor": found.next_cursor,
        }
    if filters.cursor:
        qs = qs.filter(listing.after(*decode_cursor(filters.cursor)))
    limit = filters.limit
    rows = listing.page(qs, _states(filters), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [ticket_out(t) for t in rows],
        "next_cursor": encode_cursor(rows[-1]) if more else None,
    }


@router.get(
    "/{number}",
    response={200: TicketDetailOut, **ERRORS},
    auth=READ,
    url_name="ticket",
    summary="Get a ticket",
)
def read_ticket(request: HttpRequest, number: str, response: HttpResponse) -> dict[str, Any]:
    """A merged ticket's number answers the ticket it was merged into, when the
    caller may read that one: the body is that ticket's (its `number` is not the
    one asked for) and `Content-Location` names its URL. An answer rather than a
    redirect: a client that follows no redirects, or drops its key on one, still
    gets the conversation. A caller who may not read it gets the merged ticket
    itself (closed, its thread moved)."""
    caller = caller_of(request)
    ticket = get_ticket(caller, number)
    if ticket.merged_into_id is not None:
        survivor = lifecycle.survivor_of(ticket)
        rows = visible_tickets(caller).select_related(*TICKET_RELATIONS).filter(pk=survivor.pk)
        if (found := rows.first()) is not None:
            ticket = found
            response["Content-Location"] = reverse("api:ticket", kwargs={"number": found.number})
    # Who is on it (the desk's "I'm on it"): agents' coordination, for agents only.
    marker = on_it.current(ticket) if caller.agent is not None else None
    held = None
    if marker is not None:
        held = {"agent": {"id": marker.agent_id, "name": marker.agent.name}, "since": marker.since}
    return {**ticket_out(ticket), "on_it": held}


def _entries(request: HttpRequest, number: str) -> tuple[Ticket, QuerySet[Entry]]:
    caller = caller_of(request)
    ticket = get_ticket(caller, number)
    entries = Entry.objects.filter(ticket=ticket)
    if caller.agent is None:
        entries = entries.filter(kind__in=PUBLIC_KINDS)
    return ticket, entries


@router.get(
    "/{number}/thread",
    response={200: list[EntryOut], **ERRORS},
    auth=READ,
    summary="Read the thread",
)
def read_thread(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """The messages, replies and (for agents) internal notes, oldest first."""
    ticket, entries = _entries(request, number)
    rows = entries.order_by("created_at", "id").prefetch_related("attachments")
    return [entry_out(entry, ticket) for entry in rows]


@router.get(
    "/{number}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    auth=READ,
    url_name="attachment",
    summary="Download an attachment",
    openapi_extra={
        # 200 as an int, as ninja keys its own responses: a "200" string beside it
        # made a duplicate key in openapi.json, and Swagger UI refused the schema.
        "responses": {
            200: {
                "description": "The file, as a download.",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, number: str, attachment_id: Id) -> FileResponse:
    ticket, entries = _entries(request, number)
    attachment = (
        Attachment.objects.filter(pk=attachment_id, entry__in=entries)
        .select_related("entry")
        .first()
    )
    if attachment is None or attachment.entry.ticket_id != ticket.pk:
        raise not_found("attachment")
    return attachment_response(attachment)
