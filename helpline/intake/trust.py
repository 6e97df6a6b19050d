"""Is a mail that claims to answer a ticket really from the person it names?

A From line is typed by the sender, and a ticket number in a subject is easy to
guess, so neither proves anything. Intake weighs two other kinds of evidence:

1. **A reply token of ours** (`helpline.lib.mailids`). Every mail we send has a
   signed Message-ID that the outbox keeps with the one person it went to; with
   `HELPLINE_REPLY_ADDRESS_TOKENS` mail to customers also says "reply to
   support+t.<number>.<signature>@...", signed for that person. A reply carries one
   back (In-Reply-To/References, or the address it was sent to). Only somebody who
   received our mail about the ticket has one. A token counts while the person it
   was issued to is still on the ticket (its customer or a collaborator), so
   removing a collaborator revokes theirs, and an agent's alert id never vouches
   for a customer. A genuine signed id whose outbox row is gone (mail sent before
   the outbox existed) vouches for the ticket without a person.

2. **Authentication-Results** (RFC 8601), which the receiving mail server adds after
   checking SPF, DKIM and DMARC. Anybody can write such a header into their mail,
   so intake reads only those of the servers that mail really passed through: each
   mailbox names them (`Mailbox.authserv_ids`), because which server received a
   mail is a property of the road it took. Mail from the osTicket API (its client
   writes the whole message, headers included) and from a pipe that names no
   mailbox is read with no server at all. Only the run of headers at the very top
   that carry one of the names counts (a mail server adds its header above
   everything the sender wrote, so a forged one sits below ours; the first foreign
   header ends the run).
   - A *failure* anywhere in that run counts: `dmarc=fail`, or, with no DMARC pass
     and no DKIM pass aligned with the From domain *in the topmost header*,
     `spf=fail` or `dkim=fail`. A forged failure only harms its forger.
   - A *pass* counts only from the topmost header (the last one our server added):
     `dmarc=pass` for the From domain, or `dkim=pass` whose signing domain is the
     From domain or a parent of it. A forged pass lower down proves nothing, and
     excuses no failure either.
   This is safe only if the server really adds its header to every message; an
   administrator names a server on a mailbox only then (docs/security/replies.md).

Everything here is pure reading except the token checks (a few indexed queries).
The placement rules that use it are in `helpline.intake.placement`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from helpline.intake.parse import ParsedMessage
from helpline.lib.mailids import parse_reply_token, reply_token_matches, ticket_number_from_ids
from helpline.notify.addresses import bare_address
from helpline.notify.models import OutboundMessage
from helpline.tickets.models import Collaborator, Ticket

# Bounds on what a stranger controls: headers read, characters of each, results
# kept per header, message ids looked up, addresses searched for a token.
MAX_HEADERS = 10
MAX_HEADER_CHARS = 4000
MAX_RESULTS = 30
MAX_IDS = 50
MAX_TOKEN_ADDRESSES = 20
# People checked against a reply-address token (a ticket's customer and its
# collaborators): far more than any real ticket has.
MAX_PARTIES = 500


# --- Authentication-Results ---------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One `method=result prop=value ...` of an Authentication-Results header."""

    method: str  # "dmarc", "dkim", "spf", ... (lower case, version dropped)
    result: str  # "pass", "fail", "none", ... (lower case)
    props: dict[str, str] = field(default_factory=dict)  # "header.d" -> "example.com"


@dataclass(frozen=True)
class Header:
    authserv_id: str
    results: list[Result]


def _strip_comments(value: str) -> str:
    """Drop (comments), nested ones too, but not parentheses inside "quotes"."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            quoted = char != '"'
            out.append(char)
        elif char == '"' and depth == 0:
            quoted = True
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _split(value: str) -> list[str]:
    """Split on ';' outside quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


_PAIR = re.compile(r'([A-Za-z0-9_.\-/]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s";]+)')


def parse_header(value: str) -> Header | None:
    """One Authentication-Results value; None when it names no authserv-id (it then
    vouches for nothing). Never raises; tolerant of comments, folding and quotes."""
    text = _strip_comments(" ".join(value[:MAX_HEADER_CHARS].split()))
    segments = _split(text)
    head = segments[0].strip().split()
    if not head or "=" in head[0]:
        return None
    results: list[Result] = []
    for segment in segments[1:]:
        pairs = _PAIR.findall(segment)
        if not pairs:
            continue
        method, result = pairs[0]
        props = {name.lower(): raw.strip('"').lower() for name, raw in pairs[1:]}
        results.append(Result(method.split("/")[0].lower(), result.strip('"').lower(), props))
        if len(results) >= MAX_RESULTS:
            break
    return Header(head[0].lower(), results)


def _aligned(domain: str, from_domain: str) -> bool:
    """DKIM's signing domain speaks for the From domain: the same, or a parent
    (relaxed alignment without a public-suffix list: nobody holds a key for 'com')."""
    domain = domain.strip().lstrip("@").rstrip(".")
    if "@" in domain:
        domain = domain.rpartition("@")[2]
    return bool(domain) and (from_domain == domain or from_domain.endswith("." + domain))


def _passes(results: Iterable[Result], from_domain: str) -> bool:
    """DMARC passed for the From domain, or an aligned DKIM signature verified."""
    for r in results:
        if (r.method, r.result) == ("dmarc", "pass") and (
            r.props.get("header.from", from_domain) == from_domain
        ):
            return True
        if r.method == "dkim" and r.result == "pass":
            signer = r.props.get("header.d") or r.props.get("header.i", "")
            if _aligned(signer, from_domain):
                return True
    return False


@dataclass(frozen=True)
class Authentication:
    """What our own receiving server recorded about the sender's address."""

    checked_by: str = ""  # the authserv-id of the topmost trusted header; "" if none
    failure: str = ""  # e.g. "dmarc=fail (header.from=example.com)"; "" if none recorded
    authenticated: bool = False  # the From domain passed (topmost header only)


def authentication(parsed: ParsedMessage, trusted: Collection[str]) -> Authentication:
    """The verdict of our receiving servers' Authentication-Results on the sender.

    `trusted` holds the authserv-ids of the servers this mail passed through: those
    named on the mailbox it came from (`Mailbox.trusted_servers`); empty for mail
    whose path we do not know (the osTicket API, a pipe without --mailbox), and
    then no header is read at all."""
    trusted = {name.lower() for name in trusted}
    if not trusted or parsed.sender is None:
        return Authentication()
    run: list[Header] = []
    for value in parsed.authentication_results[:MAX_HEADERS]:
        header = parse_header(value)
        if header is None or header.authserv_id not in trusted:
            break
        run.append(header)
    if not run:
        return Authentication()
    from_domain = parsed.sender.email.rpartition("@")[2].lower().rstrip(".")
    top = run[0].results
    failure = _failure([r for header in run for r in header.results], top, from_domain)
    return Authentication(
        checked_by=run[0].authserv_id,
        failure=failure,
        authenticated=not failure and _passes(top, from_domain),
    )


def _describe(result: Result) -> str:
    detail = " ".join(
        f"{name}={value}"
        for name, value in result.props.items()
        if name in ("header.from", "header.d", "header.i", "smtp.mailfrom")
    )
    return f"{result.method}={result.result}" + (f" ({detail})" if detail else "")


def _failure(results: list[Result], top: list[Result], from_domain: str) -> str:
    """The first failure in the run of our headers (`results`), or "". A DMARC or
    aligned DKIM pass excuses an SPF/DKIM failure (forwarding breaks SPF) only from
    the topmost header (`top`): below it, a header claiming our name may be the
    sender's own, and its "pass" must not cancel what our server recorded."""
    for r in results:
        if r.method == "dmarc" and r.result == "fail":
            return _describe(r)
    if _passes(top, from_domain):
        return ""
    for r in results:
        if r.method in ("spf", "dkim") and r.result == "fail":
            return _describe(r)
    return ""


# --- reply tokens ---------------------------------------------------------------------


def party_addresses(ticket: Ticket) -> list[str]:
    """The addresses of the people on the ticket: its customer, then collaborators."""
    followers = Collaborator.objects.filter(ticket=ticket).order_by("pk")
    emails = [ticket.customer.email, *followers.values_list("customer__email", flat=True)]
    return [e.strip().lower() for e in emails[:MAX_PARTIES] if e]


def _message_ids(parsed: ParsedMessage) -> list[str]:
    return [*parsed.references, *parsed.in_reply_to.split()][-MAX_IDS:]


def _address_tokens(parsed: ParsedMessage) -> list[tuple[str, str]]:
    """(number, signature) of every reply-address token the mail was sent to."""
    found = []
    for address in [*parsed.envelope_to, *parsed.to, *parsed.cc][:MAX_TOKEN_ADDRESSES]:
        local = address.email.rpartition("@")[0]
        if "+" in local and (token := parse_reply_token(local.partition("+")[2])):
            found.append(token)
    return found


def ticket_by_reply_address(parsed: ParsedMessage) -> Ticket | None:
    """The ticket of a genuine reply-address token this mail was sent to, issued to
    somebody still on that ticket; None if there is none."""
    for number, signature in _address_tokens(parsed):
        ticket = Ticket.objects.select_related("customer").filter(number=number).first()
        if ticket is not None and any(
            reply_token_matches(number, signature, person) for person in party_addresses(ticket)
        ):
            return ticket
    return None


@dataclass(frozen=True)
class Tokens:
    """The reply tokens a mail carries for one ticket."""

    valid: bool  # one was issued to a person on the ticket (or to the ticket itself)
    others: list[str]  # addresses off the ticket whose tokens it carries (for notes)


def tokens_for(parsed: ParsedMessage, ticket: Ticket) -> Tokens:
    """Does this mail carry a reply token for `ticket` from somebody on it?"""
    parties = set(party_addresses(ticket))
    ids = _message_ids(parsed)
    others: list[str] = []
    if ids:
        rows = OutboundMessage.objects.filter(message_id__in=ids, ticket=ticket)
        sent = {message_id: to for message_id, to in rows.values_list("message_id", "to")}
        for recipients in sent.values():
            addresses = {bare_address(a) for a in recipients}
            if addresses & parties:
                return Tokens(True, [])
            others += sorted(addresses - {""})
        # A genuine id of ours without its outbox row vouches for the ticket alone.
        if any(ticket_number_from_ids(i) == ticket.number for i in ids if i not in sent):
            return Tokens(True, [])
    for number, signature in _address_tokens(parsed):
        if number == ticket.number and any(
            reply_token_matches(number, signature, person) for person in parties
        ):
            return Tokens(True, [])
    return Tokens(False, sorted(set(others)))
