"""osTicket's ticket API, answered as osTicket answers it, so existing integrations
work unchanged: `POST /api/tickets.json|.xml|.email` (also under
`/api/http.php/`), the key in `X-API-Key`, and plain-text answers: 201 with the
bare ticket number, 400 for malformed input, 401 for a bad key, a key used from
an address outside its allowlist, or a key that may not create tickets. A raw
email that opens no ticket (an auto-reply, a bounce, one quarantined by mail
intake) is 202 with the reason: it was received and kept, not refused.

What osTicket has no answer for is JSON, like the rest of /api/: 429 with
Retry-After past a rate limit (helpline.api.throttles), 405 and 500
(helpline.api.errors).

These are plain Django views, not ninja ones: the answers are plain text, and
the body is read raw whatever its Content-Type.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from ninja.errors import Throttled

from helpline.accounts.customers import find_or_create_customer
from helpline.api import throttles
from helpline.api.auth import AuthFailed, Caller, authenticate, client_address, secret_from
from helpline.api.common import TOPIC_RELATIONS
from helpline.api.inputs import (
    MAX_MESSAGE_CHARS,
    BadInput,
    BodyTooLarge,
    check_files,
    clean_text,
    load_body,
    message_html,
    parse_address,
    to_bool,
    to_id,
    topic_answers,
)
from helpline.api.models import Scope
from helpline.api.osticket.parse import TicketRequest, parse_json, parse_xml
from helpline.tickets import lifecycle
from helpline.tickets.models import HelpTopic, Priority, Source, Ticket

log = logging.getLogger(__name__)

# osTicket cuts subjects to 255 characters, and so do we; a longer one is not cut
# from megabytes, it is refused.
MAX_SUBJECT_CHARS = 10_000

# osTicket's sources, by the names its clients send (any case).
SOURCES = {
    "api": Source.API,
    "email": Source.EMAIL,
    "phone": Source.PHONE,
    "web": Source.WEB,
    "other": Source.OTHER,
}


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _caller(request: HttpRequest, secret: str) -> Caller:
    caller = authenticate(secret, client_address(request))
    if not caller.has(Scope.CREATE):
        raise AuthFailed("API key not authorized to create tickets.")
    return caller


@csrf_exempt
@require_POST
def create_ticket(request: HttpRequest, fmt: str) -> HttpResponse:
    """Open a ticket from an osTicket JSON, XML or raw email request."""
    # Rate limits (helpline.api.throttles), all before the body is read: failed
    # attempts from the address (their own bucket, as on REST), then the address's
    # valid requests and what the key opens.
    secret = secret_from(request)
    try:
        throttles.check_guessing(request, secret)  # failed attempts: as on REST
        try:
            caller = _caller(request, secret)
        except AuthFailed as error:
            throttles.check_failed(request)
            return _text(401, error.message)
    except Throttled as throttled:
        return throttles.throttled_response(throttled.wait)
    throttles.remember(request, secret)
    if (wait := throttles.osticket_address_wait(request)) is not None:
        return throttles.throttled_response(wait)
    if (wait := throttles.osticket_create_wait(request, caller)) is not None:
        return throttles.throttled_response(wait)
    try:
        raw = load_body(request)
        if fmt == "email":
            return _from_email(raw)
        parsed = parse_json(raw) if fmt == "json" else parse_xml(raw)
        ticket = open_from(parsed, caller)
    except BodyTooLarge as error:
        return _text(413, error.message)
    except BadInput as error:
        return _text(400, error.message)
    except lifecycle.NotAllowed as error:
        return _text(403, error.message)
    except (lifecycle.Refused, lifecycle.Rejected) as error:
        return _text(400, error.message)
    return _text(201, ticket.number)


def _topic(parsed: TicketRequest, caller: Caller) -> HelpTopic:
    """The topic asked for; else the key's default; else the first active topic
    (osTicket files API tickets without one under its default department)."""
    topic_id = to_id(parsed.get("topicId", "topic_id", "topicid"), "topicId")
    if topic_id is not None:
        topic = (
            HelpTopic.objects.select_related(*TOPIC_RELATIONS)
            .filter(pk=topic_id, is_active=True)
            .first()
        )
        if topic is None:
            raise BadInput(
                _("topicId: there is no active help topic with id %(topic_id)s.")
                % {"topic_id": topic_id},
                "topicId",
            )
        return topic
    if caller.default_topic is not None and caller.default_topic.is_active:
        return caller.default_topic
    topic = (
        HelpTopic.objects.select_related(*TOPIC_RELATIONS)
        .filter(is_active=True)
        .order_by("order", "name")
        .first()
    )
    if topic is None:
        raise BadInput(_("topicId: no help topic given, and none is set up to fall back on."))
    return topic


def _priority(parsed: TicketRequest) -> Priority | None:
    priority_id = to_id(parsed.get("priorityId", "priority_id", "priority"), "priorityId")
    if priority_id is None:
        return None
    priority = Priority.objects.filter(pk=priority_id).first()
    if priority is None:
        raise BadInput(
            _("priorityId: there is no priority with id %(priority_id)s.")
            % {"priority_id": priority_id},
            "priorityId",
        )
    return priority


def open_from(parsed: TicketRequest, caller: Caller) -> Ticket:
    """Open the ticket an osTicket request describes, through the lifecycle."""
    email = clean_text(parsed.get("email"), "email", max_length=320)
    if not email.strip():
        raise BadInput(_("email: the customer's email address is required."), "email")
    display_name, address = parse_address(email)
    name = clean_text(parsed.get("name"), "name", max_length=200).strip() or display_name
    phone = clean_text(parsed.get("phone"), "phone", max_length=40).strip().upper()
    raw_subject = clean_text(parsed.get("subject"), "subject", max_length=MAX_SUBJECT_CHARS)
    subject = " ".join(raw_subject.split())[:255]
    if not subject:
        raise BadInput(_("subject: a subject is required."), "subject")
    message = clean_text(parsed.message, "message", max_length=MAX_MESSAGE_CHARS)
    uploads = check_files(parsed.attachments)
    try:
        # Sanitized once and here, before the transaction below opens: the
        # lifecycle stores the prepared body as it is.
        body = lifecycle.prepare_body(message_html(message, parsed.message_type), uploads)
    except lifecycle.Refused:
        raise BadInput(_("message: a message is required."), "message") from None
    topic = _topic(parsed, caller)
    priority = _priority(parsed)
    extra = topic_answers(topic, parsed.fields)
    if ip := _ip(parsed.get("ip")):
        extra.setdefault("ip", ip)
    source = SOURCES.get(str(parsed.get("source") or "api").strip().lower(), Source.API)
    with transaction.atomic():
        customer = find_or_create_customer(name=name, email=address, phone=phone)
        return lifecycle.open_ticket(
            lifecycle.NewTicket(
                customer=customer,
                subject=subject,
                body_html=body,
                source=source,
                topic=topic,
                priority=priority,
                extra=extra,
                phone=phone,
                # `alert` (staff alerts) has no switch in the lifecycle yet: ignored.
                autorespond=to_bool(parsed.get("autorespond"), default=True),
            ),
            actor=caller.agent,
        )


def _ip(value: Any) -> str:
    """The submitter's address as osTicket records it; anything else is dropped."""
    try:
        return str(ipaddress.ip_address(str(value or "").strip()))
    except ValueError:
        return ""


def _from_email(raw: bytes) -> HttpResponse:
    """Hand the raw message to mail intake, which threads, opens or quarantines it."""
    if not raw.strip():
        return _text(400, _("The request body is empty: send the raw email message."))
    try:
        from helpline.intake.ingest import ingest_message
    except ModuleNotFoundError as error:  # mail intake not installed
        if error.name and error.name.startswith("helpline.intake"):
            return _text(501, _("Mail intake is not available on this server."))
        raise
    result = ingest_message(raw, mailbox=None, channel="api")
    if result.ticket is not None:  # a new ticket, or a reply or note on one
        return _text(201, result.ticket.number)
    # Ignored (a bounce, a loop) or quarantined (unparseable, automatic mail with no
    # ticket): accepted and kept, not refused, since resending would change nothing.
    reason = result.reason or _("The message opened no ticket.")
    if result.outcome == "quarantined":
        reason = _("%(reason)s The message is kept for an administrator to review.") % {
            "reason": reason
        }
    return _text(202, reason)
