"""Raw mail in, a `ParsedMessage` out: pure functions, no database, never an exception.

Real mail breaks every rule, so each step has a fallback instead of a failure:

- The structure is parsed with `email.policy.default`; if walking it raises anyway,
  the same bytes are walked again with the lenient `compat32` policy, and if that
  fails too the whole source becomes the text body.
- Headers are read raw and decoded here (RFC 2047 words, raw 8-bit bytes), so a
  header the stdlib's structured parser chokes on still gives its text.
- Bodies and words are decoded with their declared charset, then UTF-8, then the
  declared charset with replacement characters, then Windows-1252 with replacement
  (a superset of Latin-1 that matches what unlabelled Western mail really is).
- Every string is freed of NUL characters and lone surrogates, which PostgreSQL and
  SQLite would refuse.

Bounds (issue 9): parsing is the CPU-heavy part of intake and runs before its
transaction opens, but it is bounded all the same:
- a message whose MIME parts nest too deep or are too many (`mime.check_mime`,
  an estimate from the raw text; `mime.parse_bounded`, what the parser really
  builds) is not parsed beyond its headers: `problem` says why, and intake
  quarantines it;
- HTML beyond lib.html's bounds is never sanitized: the text part stands in for
  it (or the HTML's text, tags stripped in linear time);
- text and HTML are cut to what the thread stores (BODY_LIMIT);
- a header block larger than MAX_HEADER_BYTES is not parsed beyond its first
  MAX_HEADER_BYTES (enough for From, Subject, Message-ID) and the message is
  quarantined with the reason;
- of the addresses in each of To/Cc/Reply-To/the envelope headers only the first
  MAX_ADDRESSES are kept, and of References the first and the last
  MAX_REFERENCES - 1 ids: placement looks each list up in one query, and 50,000 Cc
  addresses (3 MB of headers) must not mean 50,000 lookups, or as many routing
  rule checks, inside the write transaction;
and whenever a body is not shown whole, a note at its top says so and the whole
message is attached as original-message.eml (`kept_whole`), so nothing is lost.
"""

from __future__ import annotations

import email
import email.parser
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from django.utils.translation import gettext as _

from helpline.intake.charsets import clean_text, decode_bytes, decode_words
from helpline.intake.mime import (
    Collected,
    MailAttachment,
    MimeBoundsExceeded,
    check_mime,
    collect,
    parse_bounded,
)
from helpline.intake.quotes import strip_quoted, strip_quoted_html
from helpline.lib.html import (
    MAX_BODY_CHARS,
    SafeHTML,
    check_html,
    fit_text,
    html_to_text,
    sanitize,
    strip_tags,
)

__all__ = ["Address", "MailAttachment", "ParsedMessage", "parse_message"]


def _raw_headers(msg: Message) -> list[tuple[str, str]]:
    try:
        return [(str(k), str(v)) for k, v in msg.raw_items()]
    except Exception:
        return []


def _all(headers: list[tuple[str, str]], name: str) -> list[str]:
    name = name.lower()
    return [v for k, v in headers if k.strip().lower() == name]


def _first(headers: list[tuple[str, str]], name: str) -> str:
    values = _all(headers, name)
    return decode_words(values[0]).strip() if values else ""


@dataclass(frozen=True)
class Address:
    name: str
    email: str


# Real mail names a handful of people; a few hundred at most on a mailing list,
# which opens no ticket with collaborators anyway (placement keeps 10 of them).
MAX_ADDRESSES = 50
# The root of the thread and the latest ids are what threading uses.
MAX_REFERENCES = 100
MAX_IN_REPLY_TO = 10
# RFC 5322 headers of real mail: a few KB, 100 KB for a long Received chain.
MAX_HEADER_BYTES = 256 * 1024


def _addresses(values: list[str], limit: int = MAX_ADDRESSES) -> list[Address]:
    """The first `limit` plausible addresses in these header values."""
    found: list[Address] = []
    for value in values:
        if len(found) >= limit:
            break
        text = clean_text(re.sub(r"\r?\n[ \t]+", " ", value))
        try:
            pairs = getaddresses([text])
        except Exception:
            pairs = []
        for name, addr in pairs:
            addr = addr.strip().strip("<>").strip()
            if len(found) < limit and is_plausible_address(addr):
                found.append(Address(name=" ".join(decode_words(name).split())[:200], email=addr))
    return found


def is_plausible_address(addr: str) -> bool:
    """Something mail can be sent to: one @, both sides, no spaces, not too long.

    Deliberately looser than Django's validator: intranet domains without a dot and
    international addresses are real customers too."""
    local, at, domain = addr.rpartition("@")
    return bool(at and local and domain and "@" not in local.strip('"')) and (
        len(addr) <= 254 and not any(c.isspace() or c in "<>,;" for c in addr)
    )


_ID = re.compile(r"<[^<>\s]+>")


def _ids(value: str) -> list[str]:
    return _ID.findall(value)


def _references(value: str) -> list[str]:
    """The thread's root and the latest MAX_REFERENCES - 1 ids (RFC 5322 lists them
    oldest first: the last one is the message answered)."""
    ids = _ids(value)
    return ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]


def _message_id(value: str) -> str:
    ids = _ids(value)
    return (ids[0] if ids else value.strip())[:998]


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- the message ----------------------------------------------------------------------


@dataclass
class ParsedMessage:
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    sender: Address | None = None  # From
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    envelope_to: list[Address] = field(default_factory=list)  # Delivered-To, X-Original-To
    subject: str = ""
    date: datetime | None = None
    text: str = ""  # the plain-text body (derived from the HTML when there is none)
    html: str = ""  # the HTML body, sanitized; "" when the mail had none
    reply_text: str = ""  # `text` without the quoted earlier message
    reply_html: str = ""  # `html` without the quoted earlier message, sanitized
    attachments: list[MailAttachment] = field(default_factory=list)
    auto_submitted: str = ""  # RFC 3834: "no", "auto-replied", "auto-generated", ...
    precedence: str = ""  # bulk, junk, list, auto_reply
    x_autoreply: bool = False  # X-Autoreply / X-Autorespond
    is_receipt: bool = False  # a read receipt (disposition notification)
    is_bounce: bool = False
    original_message_id: str = ""  # of the message a bounce reports on
    original_ids: str = ""  # every id the bounced message's headers name
    bounce_summary: str = ""  # recipient, status and diagnostic of each failure
    has_headers: bool = False  # False: not a mail message at all
    # Raw values, topmost first (the last hop's on top); read by intake.trust.
    authentication_results: list[str] = field(default_factory=list)
    problem: str = ""  # why intake must not place it (it is quarantined with this)

    @property
    def from_name(self) -> str:
        return self.sender.name if self.sender else ""

    @property
    def from_address(self) -> str:
        return self.sender.email if self.sender else ""

    @property
    def is_auto_reply(self) -> bool:
        """Mail written by a machine (RFC 3834 and the common older headers), which
        must never open a ticket, trigger an autoresponse or reopen one."""
        return (
            self.auto_submitted not in ("", "no")
            or self.precedence in ("bulk", "junk", "list", "auto_reply")
            or self.x_autoreply
            or self.is_receipt
        )

    @property
    def automatic_reason(self) -> str:
        """Which header made this message automatic, for quarantine reasons."""
        if self.auto_submitted not in ("", "no"):
            return f"Auto-Submitted: {self.auto_submitted}"
        if self.precedence in ("bulk", "junk", "list", "auto_reply"):
            return f"Precedence: {self.precedence}"
        if self.x_autoreply:
            return "X-Autoreply"
        return "a read receipt" if self.is_receipt else ""


_ENVELOPE_HEADERS = ("delivered-to", "x-original-to", "envelope-to")
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


def _walk(raw: bytes) -> tuple[Message, Collected]:
    """The message and its parts, with policy.default, else compat32; either way
    within the MIME bounds (MimeBoundsExceeded otherwise)."""
    try:
        msg = parse_bounded(raw, policy.default)
        return msg, collect(msg)
    except MimeBoundsExceeded:
        raise
    except Exception:
        msg = parse_bounded(raw, policy.compat32)
        return msg, collect(msg)


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything intake needs from one raw message. Never raises."""
    try:
        header_problem = check_header_size(raw)
        if header_problem:
            return _headers_only(raw[:MAX_HEADER_BYTES], header_problem)
        problem = check_mime(raw)
        return _headers_only(raw, problem) if problem else _parse(raw)
    except MimeBoundsExceeded as e:  # more than check_mime's estimate said
        return _headers_only(raw, e.reason)
    except Exception:  # even both policies failed: keep the source as text
        text = decode_bytes(raw)
        return ParsedMessage(text=text, reply_text=text, has_headers=False)


# An empty line, whatever the line endings: the stdlib parser ends a line at CRLF,
# a bare LF or a bare CR, so two endings in a row are a run of CR/LF other than one
# "\r", one "\n" or one "\r\n".
_EMPTY_LINE = re.compile(rb"\n[\r\n]|\r\r")


def check_header_size(raw: bytes) -> str:
    """ "" when the header block (up to the first empty line, or the whole message
    if it has none) is within MAX_HEADER_BYTES; else why not. Reads at most that
    much. The parser may end the headers earlier (at a line that is no header),
    never later, so this never lets a larger block through."""
    if len(raw) <= MAX_HEADER_BYTES:
        return ""
    if _EMPTY_LINE.search(raw, 0, MAX_HEADER_BYTES + 2):
        return ""
    return _(
        "The message's header block is larger than {limit:,} bytes; "
        "Helpline reads headers up to that size."
    ).format(limit=MAX_HEADER_BYTES)


# The longest body intake hands on, as HTML: what the thread stores, less room for
# the heading intake may put above it (a note from a non-party, ...).
BODY_LIMIT = MAX_BODY_CHARS - 8192
ORIGINAL_FILENAME = "original-message.eml"


def _headers_only(raw: bytes, problem: str) -> ParsedMessage:
    """A message whose body must not be parsed: its headers, and the reason."""
    msg = email.parser.BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    headers = _raw_headers(msg)
    return ParsedMessage(**_envelope(headers), has_headers=bool(headers), problem=problem)


def _envelope(headers: list[tuple[str, str]]) -> dict[str, Any]:
    """Who sent it to whom, when, about what, in reply to which ids."""
    senders = _addresses(_all(headers, "from")) or _addresses(_all(headers, "sender"))
    return {
        "message_id": _message_id(_first(headers, "message-id")),
        "in_reply_to": " ".join(_ids(_first(headers, "in-reply-to"))[:MAX_IN_REPLY_TO]),
        "references": _references(" ".join(_all(headers, "references"))),
        "sender": senders[0] if senders else None,
        "to": _addresses(_all(headers, "to")),
        "cc": _addresses(_all(headers, "cc")),
        "reply_to": _addresses(_all(headers, "reply-to")),
        "envelope_to": _addresses([v for name in _ENVELOPE_HEADERS for v in _all(headers, name)]),
        "subject": " ".join(_first(headers, "subject").split())[:998],
        "date": _date(_first(headers, "date")),
    }


@dataclass
class _Bodies:
    text: str
    html: SafeHTML | str
    reply_text: str
    reply_html: SafeHTML | str
    notes: list[str]


def _bodies(parts: Collected) -> _Bodies:
    """The text and HTML bodies within the bounds (see the module docstring)."""
    notes: list[str] = []
    raw_html = parts.html if parts.html.strip() else ""
    html: SafeHTML | str = ""
    reply_html: SafeHTML | str = ""
    fallback = ""  # the HTML's text, when the HTML itself is not used
    if raw_html:
        problem = check_html(raw_html)
        if problem:
            notes.append(problem + " " + _("Its text is shown instead."))
            fallback = "" if parts.text.strip() else strip_tags(raw_html)
        else:
            html = sanitize(raw_html)
            if len(html) > BODY_LIMIT:
                notes.append(
                    _(
                        "Its HTML was {size:,} characters long; Helpline keeps {limit:,}, so "
                        "its text is shown instead."
                    ).format(size=len(html), limit=BODY_LIMIT)
                )
                fallback = "" if parts.text.strip() else html_to_text(html)
                html = ""
            else:
                reply_html = sanitize(strip_quoted_html(raw_html))
                reply_html = reply_html if len(reply_html) <= BODY_LIMIT else ""
    text = parts.text if parts.text.strip() else (html_to_text(html) if html else fallback)
    fitted = fit_text(text, BODY_LIMIT)
    if fitted != text:
        notes.append(
            _("The message was {size:,} characters long; only its beginning is shown.").format(
                size=len(text)
            )
        )
    return _Bodies(fitted, html, strip_quoted(fitted), reply_html, notes)


def _parse(raw: bytes) -> ParsedMessage:
    msg, parts = _walk(raw)
    headers = _raw_headers(msg)
    envelope = _envelope(headers)
    sender: Address | None = envelope["sender"]
    bodies = _bodies(parts)
    attachments = parts.attachments
    text, reply_text = bodies.text, bodies.reply_text
    if bodies.notes:
        note = "[{}]".format(
            " ".join(
                [
                    *bodies.notes,
                    _("The whole message is attached as {filename}.").format(
                        filename=ORIGINAL_FILENAME
                    ),
                ]
            )
        )
        text, reply_text = f"{note}\n\n{text}", f"{note}\n\n{reply_text}"
        original = MailAttachment(ORIGINAL_FILENAME, "message/rfc822", raw, kept_whole=True)
        attachments = [*attachments, original]
    report_type = parts.report_type
    local = sender.email.rpartition("@")[0].lower() if sender else ""
    parsed = ParsedMessage(
        **envelope,
        text=text,
        html=bodies.html,
        reply_text=reply_text,
        reply_html=bodies.reply_html,
        attachments=attachments,
        auto_submitted=_first(headers, "auto-submitted").split(";")[0].strip().lower(),
        precedence=_first(headers, "precedence").strip().lower(),
        x_autoreply=any(
            _first(headers, name).strip().lower() not in ("", "no", "false", "0")
            for name in ("x-autoreply", "x-autorespond", "x-autoresponder")
        ),
        is_receipt=report_type == "disposition-notification",
        is_bounce=report_type == "delivery-status" or local in _BOUNCE_SENDERS,
        original_message_id=parts.original_message_id,
        original_ids=parts.original_ids,
        bounce_summary=parts.bounce_summary,
        has_headers=bool(headers),
        authentication_results=[
            clean_text(v) for v in _all(headers, "authentication-results")[:20]
        ],
    )
    if parsed.is_bounce and not parsed.original_ids:
        # Old-style bounces quote the original message inline in their text.
        parsed.original_ids = " ".join(_ids(" ".join(_BOUNCED_ID.findall(text))))
        if not parsed.original_message_id and parsed.original_ids:
            parsed.original_message_id = parsed.original_ids.split()[0]
    return parsed


_BOUNCED_ID = re.compile(r"^\s*(?:Message-ID|In-Reply-To|References):\s*(.+)$", re.I | re.M)
