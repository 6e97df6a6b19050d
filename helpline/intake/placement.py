"""Where a parsed message goes: the threading and sender rules of mail intake.

In order:
1. No sender address: quarantine (nobody to answer).
2. Our own mail come back (our signed Message-ID, or From one of our addresses):
   ignored, since answering it would start a mail loop.
3. The ticket: the ids of mail we sent (notify's outbox, or any genuine signed id
   of ours) in In-Reply-To/References, for a bounce also the bounced message's;
   then a reply-address token of ours it was sent to (`support+t.…@`); failing
   that, an earlier message of the thread that made a ticket (found in the
   ledger), then a `#123456`/`[#123456]` in the subject. These two count only when
   the sender is that ticket's customer or a collaborator (or, for the ledger, an
   agent). An earlier message vouches only if it was itself accepted (it opened the
   ticket or was posted as a reply); one that was held, or noted from a stranger,
   finds its ticket but proves no more than the subject. Mail from anybody else
   whose subject carries our own tag `[#123456]` finds that ticket too, but only to
   be held (5).
4. Bounces and automatic mail (Auto-Submitted, Precedence, X-Autoreply, read
   receipts) become a system note on their ticket; they never open, reopen or
   trigger an autoresponse. With no ticket they are quarantined.
5. On a ticket: its customer or a collaborator replies (which reopens a resolved or
   closed ticket), if the mail is verified (`helpline.intake.trust`): it carries a
   reply token of ours issued to somebody on the ticket, or answers an earlier
   accepted mail of the thread, or our receiving server authenticated the sender's
   domain; and that server recorded no SPF/DKIM/DMARC failure (read only from the
   servers named on the mailbox the mail was fetched from or piped into, never on
   the API, whose client writes the whole message). Otherwise, and for a stranger
   who found the ticket by its subject tag, the mail is *held*: an internal note
   that changes nothing until an agent accepts it as the customer's reply or
   dismisses it (`lifecycle.hold_reply`); its sender is told nothing, so forged
   mail cannot make us write to the address it names.
   An agent replies, or writes an internal note if the mailbox says so (on a
   closed ticket, a note: agents reopen tickets deliberately, not by mail);
   anybody else's mail on our thread becomes a system note marked as coming from a
   non-party, so a leaked thread id cannot make somebody a follower of the ticket.
   Mail about a ticket merged since lands on the ticket it was merged into (the
   lifecycle forwards what is written to a merged ticket), judged by the merged
   ticket's people and tokens, which are what the mail answers.
6. No ticket: an agent's mail is quarantined (agents do not open tickets for
   themselves by mail); anybody else's opens a new ticket, with the other people it
   was addressed to (To and Cc, not ours, not agents) as collaborators.

Attachments that break the limits (type, size, count) are dropped and listed in a
system note on the ticket: the message still arrives, the agent sees what is
missing, and no file the administrators refused is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import PurePath

from django.conf import settings
from django.db.models.functions import Lower
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from helpline.accounts.customers import (
    customers_with_email,
    find_or_create_customer,
)
from helpline.accounts.models import Agent, Customer, Department
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage
from helpline.intake.parse import ParsedMessage
from helpline.intake.trust import authentication, ticket_by_reply_address, tokens_for
from helpline.lib.html import SafeHTML, is_blank, text_to_html
from helpline.lib.mailids import is_our_message_id
from helpline.notify.addresses import base_address, own_addresses
from helpline.notify.lookup import ticket_for_message_ids, was_sent_to
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Refused, Upload
from helpline.tickets.models import HeldReply, Source, State, Ticket
from helpline.tickets.uploads import allowed_extensions, clean_filename

MAX_COLLABORATORS = 10
NOTE_TEXT_LIMIT = 5000
EMPTY_BODY = "<p>(The message had no text.)</p>"
# Signatures of signed mail: part of the envelope, not files anybody sent.
SIGNATURE_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}
_SUBJECT_NUMBER = re.compile(r"\[#(\d{4,20})\]|(?<![\w#&])#(\d{4,20})\b")
# Our own subject tag (notify's templates: "Re: [#665337] ..."). Only this form
# points a stranger's mail at a ticket: "invoice #482913" is somebody's own number.
_SUBJECT_TAG = re.compile(r"\[#(\d{4,20})\]")


# Ledger outcomes of mail that was itself accepted as from its sender: only the ids
# of such mail vouch for a later mail that answers it (see _ticket_by_earlier_mail).
VOUCHING = (LedgerOutcome.TICKET, LedgerOutcome.REPLY)


class Found:
    """How the ticket of a message was found: what it proves about the sender."""

    TOKEN = "token"  # an id or reply address of ours (checked per person by trust)
    THREAD = "thread"  # an earlier accepted message of the thread (ledger)
    SUBJECT = "subject"  # only the number in the subject


class Quarantine(Exception):
    """The message cannot be placed; `reason` says why, for the administrator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Placement:
    outcome: str
    ticket: Ticket | None
    reason: str = ""


def mailbox_addresses() -> list[str]:
    """Every mailbox's address: registered with notify as ours (see IntakeConfig)."""
    return list(Mailbox.objects.values_list("address", flat=True))


def our_addresses() -> set[str]:
    """Addresses mail from which is our own: every mailbox, and what notify sends
    with (DEFAULT_FROM_EMAIL, SERVER_EMAIL)."""
    return {a.lower() for a in mailbox_addresses()} | set(own_addresses())


def place(
    parsed: ParsedMessage,
    *,
    mailbox: Mailbox | None,
    source: str,
    accept_automatic: bool = False,
) -> Placement:
    """Turn the message into a ticket, a reply or a note (see the module docstring).

    Raises Quarantine, or a LifecycleError when the lifecycle refuses; the caller
    runs this in a savepoint and quarantines the message on either.
    `accept_automatic` is an administrator's retry of a quarantined automatic
    message: treat it as mail from a person.
    """
    sender = parsed.sender
    if sender is None:
        raise Quarantine(_("The message has no sender address (From), so nobody can be answered."))
    if is_our_message_id(parsed.message_id):
        return Placement(
            LedgerOutcome.IGNORED, None, _("Our own outgoing mail came back (mail loop).")
        )
    ours = our_addresses()
    if _is_ours(sender.email, ours):
        return Placement(
            LedgerOutcome.IGNORED,
            None,
            _("Sent from our own address %(address)s (mail loop).") % {"address": sender.email},
        )
    ticket = _ticket_by_ids(parsed)
    if parsed.is_bounce and not accept_automatic:
        return _bounce(parsed, ticket, source)
    customer = customers_with_email(sender.email).first()
    agent = _agent(sender.email)
    ticket = ticket or ticket_by_reply_address(parsed)
    found = Found.TOKEN
    if ticket is None and (customer is not None or agent is not None):
        ticket, found = _ticket_by_earlier_mail(parsed, customer, agent)
    if ticket is None and customer is not None:
        ticket, found = _ticket_by_subject(parsed.subject, customer), Found.SUBJECT
    if parsed.is_auto_reply and not accept_automatic:
        return _automatic(parsed, ticket, source)
    if ticket is None and agent is None:
        ticket, found = _ticket_by_tag(parsed.subject), Found.SUBJECT
    if ticket is not None and ticket.state == State.ARCHIVED:
        ticket = None  # archived tickets take nothing; the customer gets a new one
    if ticket is not None:
        return _on_ticket(parsed, ticket, customer, agent, mailbox, source, found)
    if agent is not None:
        raise Quarantine(
            _(
                "Mail from the agent %(name)s <%(address)s> that belongs to no ticket: "
                "agents do not open tickets by mail. Reply to a ticket's notification to "
                "write on it, or open the ticket in the desk."
            )
            % {"name": agent.name, "address": sender.email}
        )
    return _new_ticket(parsed, mailbox, source, ours)


# --- finding the ticket ------------------------------------------------------------------


def _ticket_by_ids(parsed: ParsedMessage) -> Ticket | None:
    """By the ids of mail we sent: notify's outbox, else any genuine signed id."""
    return ticket_for_message_ids(
        parsed.in_reply_to, " ".join(parsed.references), parsed.original_ids
    )


def _ticket_by_earlier_mail(
    parsed: ParsedMessage, customer: Customer | None, agent: Agent | None
) -> tuple[Ticket | None, str]:
    """The ticket of an earlier message this one answers (a customer adding to their
    own mail, a Cc'd colleague replying to all): found through the ledger, for the
    ticket's customer, a collaborator or an agent (whose rights the lifecycle checks).

    How far it is trusted depends on what that earlier message became. The ledger
    holds every message id we received, and the sender chose each one, so an id
    proves something only if its message was itself accepted: it opened the ticket
    or was posted as a reply (`VOUCHING`). An id of mail that was held, or kept as a
    note from somebody off the ticket, still finds the ticket (the answer belongs
    with it), but proves no more than a subject tag (Found.SUBJECT): otherwise a
    forger's own held mail would vouch for the forger's next one."""
    # Bounded by the parser (the thread's root and the latest ids): one query.
    ids = [*parsed.references, *parsed.in_reply_to.split()]
    if not ids:
        return None, Found.THREAD
    rows = ProcessedMessage.objects.filter(message_id__in=ids, ticket__isnull=False)
    weak: Ticket | None = None
    for row in rows.select_related("ticket").order_by("-pk"):
        ticket = row.ticket
        assert ticket is not None
        if agent is not None or (customer is not None and lifecycle.is_party(customer, ticket)):
            if row.outcome in VOUCHING:
                return ticket, Found.THREAD
            weak = weak or ticket
    return weak, Found.SUBJECT


def _ticket_by_subject(subject: str, customer: Customer) -> Ticket | None:
    for match in _SUBJECT_NUMBER.finditer(subject):
        ticket = Ticket.objects.filter(number=match.group(1) or match.group(2)).first()
        if ticket is not None and lifecycle.is_party(customer, ticket):
            return ticket
    return None


def _ticket_by_tag(subject: str) -> Ticket | None:
    """The ticket named by our own subject tag, whoever sent the mail: such mail is
    only ever held on it (see `_on_ticket`)."""
    for match in _SUBJECT_TAG.finditer(subject):
        ticket = Ticket.objects.filter(number=match.group(1)).first()
        if ticket is not None:
            return ticket
    return None


def _is_ours(address: str, ours: set[str]) -> bool:
    key = address.lower()
    return key in ours or base_address(key) in ours


def _agent(address: str) -> Agent | None:
    return (
        Agent.objects.select_related("user")
        .filter(user__email__iexact=address, user__is_active=True)
        .order_by("pk")
        .first()
    )


# --- bodies and files ------------------------------------------------------------------


def _body(parsed: ParsedMessage, *, reply: bool) -> str:
    """The entry's HTML. Replies lose the quoted earlier message (cut on the text,
    which every mail has or is derived from the HTML); new tickets keep all of it."""
    if reply and parsed.reply_text.strip():
        return text_to_html(parsed.reply_text)
    if reply and parsed.reply_html and not is_blank(parsed.reply_html):
        return parsed.reply_html
    if parsed.html and not is_blank(parsed.html):
        return parsed.html
    return text_to_html(parsed.text) if parsed.text.strip() else ""


def _uploads(parsed: ParsedMessage) -> tuple[list[Upload], list[str]]:
    """The attachments within the limits, and a line for each one dropped."""
    uploads: list[Upload] = []
    dropped: list[str] = []
    extensions = allowed_extensions()
    limit = settings.HELPLINE_MAX_ATTACHMENT_BYTES
    for item in parsed.attachments:
        if item.kept_whole:  # the message itself (its body was cut): kept, no limits
            uploads.append(Upload(item.filename, item.content_type, item.content))
            continue
        if item.content_type in SIGNATURE_TYPES:
            continue
        name = clean_filename(item.filename)
        extension = PurePath(name).suffix.lower()
        if extension not in extensions:
            dropped.append(f"{name}: files of type {extension or '(none)'} are not accepted")
        elif len(item.content) > limit:
            dropped.append(f"{name}: {len(item.content):,} bytes, over the limit of {limit:,}")
        elif len(uploads) >= settings.HELPLINE_MAX_ATTACHMENTS:
            dropped.append(f"{name}: more than {settings.HELPLINE_MAX_ATTACHMENTS} files")
        else:
            uploads.append(Upload(name, item.content_type, item.content, item.content_id))
    return uploads, dropped


def _note_dropped(ticket: Ticket, parsed: ParsedMessage, dropped: list[str], source: str) -> None:
    if not dropped:
        return
    lifecycle.add_note(
        ticket,
        actor=None,
        body_html=format_html(
            "<p>{}</p><ul>{}</ul>",
            _("Attachments of the mail from %(address)s that were not kept (attachment limits):")
            % {"address": parsed.from_address},
            format_html_join("", "<li>{}</li>", ((line,) for line in dropped)),
        ),
        source=source,
    )


def _system_note(ticket: Ticket, heading: str, text: str, source: str) -> Ticket:
    body = f"<p>{escape(heading)}</p>" + text_to_html(text[:NOTE_TEXT_LIMIT])
    return lifecycle.add_note(ticket, actor=None, body_html=body, source=source)


# --- the outcomes ------------------------------------------------------------------------


def _bounce(parsed: ParsedMessage, ticket: Ticket | None, source: str) -> Placement:
    if ticket is None:
        raise Quarantine(_("A delivery failure report (bounce) that names none of our tickets."))
    report = parsed.bounce_summary or parsed.reply_text or parsed.text
    ticket = _system_note(
        ticket,
        _("Mail about this ticket could not be delivered (%(address)s):")
        % {"address": parsed.from_address},
        report,
        source,
    )
    return Placement(LedgerOutcome.NOTE, ticket, _("Delivery failure report, noted on its ticket."))


def _automatic(parsed: ParsedMessage, ticket: Ticket | None, source: str) -> Placement:
    why = parsed.automatic_reason
    if ticket is None:
        raise Quarantine(
            _(
                "An automatic message (%(why)s) that belongs to no ticket: automatic mail "
                "never opens tickets. Retry it as mail from a person if it should."
            )
            % {"why": why}
        )
    text = parsed.reply_text or parsed.text
    ticket = _system_note(
        ticket,
        _("Automatic reply from %(address)s (%(why)s):")
        % {"address": parsed.from_address, "why": why},
        text,
        source,
    )
    return Placement(
        LedgerOutcome.NOTE,
        ticket,
        _("Automatic message (%(why)s), noted on its ticket.") % {"why": why},
    )


def _on_ticket(
    parsed: ParsedMessage,
    ticket: Ticket,
    customer: Customer | None,
    agent: Agent | None,
    mailbox: Mailbox | None,
    source: str,
    found: str,
) -> Placement:
    uploads, dropped = _uploads(parsed)
    body = _body(parsed, reply=True) or ("" if uploads else EMPTY_BODY)
    is_customer = customer is not None and customer.pk == ticket.customer_id
    is_follower = customer is not None and agent is None and lifecycle.is_party(customer, ticket)
    if customer is not None and (is_customer or is_follower):
        reasons, detail = _doubts(parsed, ticket, found, trusted_servers(mailbox, source))
        if reasons:
            placement = _hold(parsed, ticket, customer, body, uploads, reasons, detail, source)
        else:
            ticket = lifecycle.customer_reply(
                ticket, actor=customer, body_html=body, uploads=uploads, source=source
            )
            placement = Placement(LedgerOutcome.REPLY, ticket)
    elif found == Found.SUBJECT and agent is None:
        # Somebody off the ticket, holding nothing of ours but its number.
        auth = authentication(parsed, trusted_servers(mailbox, source))
        reasons = [HeldReply.Reason.STRANGER]
        if auth.failure:
            reasons.append(HeldReply.Reason.AUTH_FAILED)
        detail = _auth_detail(auth.failure, auth.checked_by)
        placement = _hold(parsed, ticket, customer, body, uploads, reasons, detail, source)
    elif agent is not None and was_sent_to(
        agent.user.email, parsed.in_reply_to, " ".join(parsed.references)
    ):
        # An alert about a ticket merged since: the answer is for the survivor.
        survivor = lifecycle.survivor_of(ticket)
        placement = _agent_mail(survivor, agent, body, uploads, mailbox, source)
    elif agent is not None:
        # A From line can be forged, and customers know their ticket's thread ids:
        # mail acts as an agent only when it answers mail we sent to that agent.
        # Escaped here, so SafeHTML: with the (safe) body it is not sanitized again.
        heading = SafeHTML(
            format_html(
                "<p><strong>{}</strong></p>",
                _(
                    "Mail from %(address)s (the address of the agent %(agent)s) that "
                    "answers no mail sent to that agent, so it was not posted as their reply:"
                )
                % {"address": parsed.from_address, "agent": agent.name},
            )
        )
        ticket = lifecycle.add_note(
            ticket, actor=None, body_html=heading + body, uploads=uploads, source=source
        )
        placement = Placement(
            LedgerOutcome.NOTE, ticket, _("Agent's address, but not an answer to them.")
        )
    else:
        heading = SafeHTML(
            format_html(
                "<p><strong>{}</strong></p>",
                _(
                    "Mail from %(name)s <%(address)s>, who does not follow this ticket "
                    "(add them as a collaborator to answer them):"
                )
                % {"name": parsed.from_name or parsed.from_address, "address": parsed.from_address},
            )
        )
        ticket = lifecycle.add_note(
            ticket, actor=None, body_html=heading + body, uploads=uploads, source=source
        )
        placement = Placement(
            LedgerOutcome.NOTE, ticket, _("From somebody who does not follow it.")
        )
    assert placement.ticket is not None
    _note_dropped(placement.ticket, parsed, dropped, source)
    return placement


def trusted_servers(mailbox: Mailbox | None, source: str) -> list[str]:
    """The servers whose Authentication-Results this mail may be judged by: those
    named on the mailbox it was fetched from or piped into. None for the API (the
    client writes every header of the message it posts) or when the channel names
    no mailbox (a pipe without --mailbox: the mail's road is unknown)."""
    if mailbox is None or source == Source.API:
        return []
    return mailbox.trusted_servers()


def _auth_detail(failure: str, checked_by: str) -> str:
    if not failure:
        return ""
    return _("Authentication-Results of %(server)s: %(failure)s.") % {
        "server": checked_by,
        "failure": failure,
    }


def _doubts(
    parsed: ParsedMessage, ticket: Ticket, found: str, trusted: list[str]
) -> tuple[list[str], str]:
    """Why a mail from a person on the ticket cannot be posted as theirs (reason
    codes, and a technical detail for the note); no reasons: it is verified."""
    auth = authentication(parsed, trusted)
    reasons: list[str] = []
    details: list[str] = []
    if auth.failure:
        reasons.append(HeldReply.Reason.AUTH_FAILED)
        details.append(_auth_detail(auth.failure, auth.checked_by))
    if found == Found.THREAD:
        return reasons, " ".join(details)  # an earlier accepted mail of the thread vouches
    tokens = tokens_for(parsed, ticket)
    if not tokens.valid and not auth.authenticated:
        reasons.append(HeldReply.Reason.NO_TOKEN)
        if tokens.others:
            details.append(
                _("It answers mail sent to %(people)s, who is not on this ticket.")
                % {"people": ", ".join(tokens.others[:5])}
            )
    return reasons, " ".join(details)


def _hold(
    parsed: ParsedMessage,
    ticket: Ticket,
    customer: Customer | None,
    body: str,
    uploads: list[Upload],
    reasons: list[str],
    detail: str,
    source: str,
) -> Placement:
    held = lifecycle.hold_reply(
        ticket,
        sender_name=parsed.from_name,
        sender_email=parsed.from_address,
        customer=customer,
        body_html=body,
        uploads=uploads,
        reasons=reasons,
        detail=detail,
        source=source,
    )
    why = ", ".join(reasons)
    return Placement(
        LedgerOutcome.NOTE, held.ticket, _("Held for an agent to review (%(why)s).") % {"why": why}
    )


def _agent_mail(
    ticket: Ticket,
    agent: Agent,
    body: str,
    uploads: list[Upload],
    mailbox: Mailbox | None,
    source: str,
) -> Placement:
    if mailbox is not None and mailbox.agent_replies_as_notes:
        ticket = lifecycle.add_note(
            ticket, actor=agent, body_html=body, uploads=uploads, source=source
        )
        return Placement(
            LedgerOutcome.NOTE, ticket, _("Agent's mail kept as a note (mailbox setting).")
        )
    try:
        ticket = lifecycle.reply(
            ticket, actor=agent, body_html=body, uploads=uploads, source=source
        )
        return Placement(LedgerOutcome.REPLY, ticket)
    except Refused:
        if ticket.is_open:
            raise
    heading = SafeHTML(
        format_html(
            "<p><em>{}</em></p>",
            _(
                "Sent by mail as a reply, but the ticket is closed: kept as an internal "
                "note. Reopen the ticket to answer the customer."
            ),
        )
    )
    ticket = lifecycle.add_note(
        ticket, actor=agent, body_html=heading + body, uploads=uploads, source=source
    )
    return Placement(
        LedgerOutcome.NOTE, ticket, _("Agent's reply to a closed ticket, kept as a note.")
    )


def _route(parsed: ParsedMessage, mailbox: Mailbox | None) -> Mailbox | None:
    """The mailbox a message belongs to: the one it was fetched from; else the one it
    was addressed to (pipes, the osTicket API); else the oldest active one."""
    if mailbox is not None:
        return mailbox
    recipients = [a.email.lower() for a in parsed.envelope_to + parsed.to + parsed.cc]
    recipients += [base_address(a) for a in recipients]  # support+tag@ is support@
    addressed = (
        Mailbox.objects.annotate(lower=Lower("address")).filter(lower__in=recipients).first()
    )
    return addressed or Mailbox.objects.filter(is_active=True).order_by("pk").first()


def _collaborators(parsed: ParsedMessage, customer: Customer, ours: set[str]) -> list[Customer]:
    """Up to MAX_COLLABORATORS people the mail was also sent to; the agents among
    all of them are found in one query (however many addresses a mail names)."""
    seen = {customer.email.lower()} | ours
    candidates = {a.email.lower() for a in parsed.to + parsed.cc}
    agents = set(
        Agent.objects.annotate(address=Lower("user__email"))
        .filter(address__in=candidates, user__is_active=True)
        .values_list("address", flat=True)
    )
    people: list[Customer] = []
    for address in parsed.to + parsed.cc:
        key = address.email.lower()
        if key in seen or _is_ours(key, ours) or key in agents:
            continue
        seen.add(key)
        people.append(find_or_create_customer(name=address.name, email=address.email))
        if len(people) >= MAX_COLLABORATORS:
            break
    return people


def _new_ticket(
    parsed: ParsedMessage, mailbox: Mailbox | None, source: str, ours: set[str]
) -> Placement:
    assert parsed.sender is not None
    box = _route(parsed, mailbox)
    department = box.department if box else Department.objects.order_by("pk").first()
    if department is None:
        raise Quarantine(_("No department is set up to receive mail: add a mailbox, then retry."))
    topic = box.topic if box and box.topic and box.topic.is_active else None
    customer = find_or_create_customer(name=parsed.sender.name, email=parsed.sender.email)
    uploads, dropped = _uploads(parsed)
    ticket = lifecycle.open_ticket(
        lifecycle.NewTicket(
            customer=customer,
            subject=parsed.subject or "(no subject)",
            body_html=_body(parsed, reply=False) or ("" if uploads else EMPTY_BODY),
            source=source,
            topic=topic,
            department=department,
            uploads=uploads,
            collaborators=_collaborators(parsed, customer, ours),
            autorespond=True,
            # For routing rules on the mailbox and on the address the mail was sent to.
            mailbox_id=mailbox.pk if mailbox else None,
            recipients=[a.email for a in [*parsed.to, *parsed.cc, *parsed.envelope_to] if a.email],
        ),
        actor=None,
    )
    _note_dropped(ticket, parsed, dropped, source)
    return Placement(LedgerOutcome.TICKET, ticket)
