"""Reading what API clients send: text, addresses, data: URLs, base64 files, topic
answers. Shared by the REST API and the osTicket-compatible endpoints, which only
differ in how they report a `BadInput` (JSON with the field, or plain text)."""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import mimetypes
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from helpline.accounts.customers import normalize_email
from helpline.lib.bounds import OutOfRange, check_date
from helpline.lib.html import text_to_html
from helpline.tickets.lifecycle import Upload
from helpline.tickets.models import HelpTopic, TopicField
from helpline.tickets.uploads import allowed_extensions, clean_filename


class BadInput(Exception):
    """The client sent something we cannot use; `field` names it (None: the body)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BodyTooLarge(BadInput):
    pass


# --- the request body -----------------------------------------------------------------


def body_limit() -> int:
    """The largest body an authenticated API client may send: every attachment at
    its size limit, base64-encoded (4/3), plus room for the rest of the message.
    Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) is meant for forms and would
    refuse a single base64-encoded 2 MB attachment."""
    files = settings.HELPLINE_MAX_ATTACHMENTS * settings.HELPLINE_MAX_ATTACHMENT_BYTES
    return max(files * 4 // 3 + 2 * 2**20, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def load_body(request: HttpRequest) -> bytes:
    """Read the body (up to `body_limit()`), so later `request.body` reads get it.

    Called only after the key was checked, so an anonymous client can never make
    us buffer more than Django's own limit. Sets `request._body`, which is where
    `HttpRequest.body` keeps what it read.
    """
    if hasattr(request, "_body"):
        return bytes(request._body)
    limit = body_limit()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BodyTooLarge(
            _("The request is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
        )
    data = request.read(limit + 1)
    if len(data) > limit:
        raise BodyTooLarge(
            _("The request is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
        )
    request._body = data
    return data


# --- the shape of a JSON body -----------------------------------------------------------

# Far above what any request of ours needs (a ticket with its attachments and
# answers is depth 3 and a few hundred tokens), far below what costs us: Python's
# json module builds every value as an object (an authenticated client may send
# `body_limit()` bytes, tens of MB: millions of tiny lists is gigabytes of memory)
# and recurses once per level.
MAX_JSON_DEPTH = 32
MAX_JSON_TOKENS = 20_000  # strings, brackets, commas and colons

_JSON_NEXT = re.compile(rb'["\[\]{},:]')
# The rest of a string after its opening quote; possessive, so a string without
# its closing quote costs one pass, not one pass per quote.
_JSON_STRING_REST = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)


def check_json_shape(raw: bytes) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH or made of more than
    MAX_JSON_TOKENS tokens, before it is parsed. One pass at C speed over string
    contents (base64 attachments are one token each); the loop stops as soon as
    a bound is passed. Malformed JSON is left for the parser to refuse."""
    depth = tokens = 0
    pos = 0
    while (found := _JSON_NEXT.search(raw, pos)) is not None:
        tokens += 1
        if tokens > MAX_JSON_TOKENS:
            message = _("The JSON has more than %(count)d values.") % {"count": MAX_JSON_TOKENS}
            raise BadInput(message)
        char, pos = found.group(), found.end()
        if char == b'"':
            end = _JSON_STRING_REST.match(raw, pos)
            if end is None:
                return
            pos = end.end()
        elif char in b"[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                message = _("The JSON is nested too deeply (over %(depth)d levels).")
                raise BadInput(message % {"depth": MAX_JSON_DEPTH})
        elif char in b"]}":
            depth -= 1


# --- text ---------------------------------------------------------------------------

# The longest message (text or HTML) a client may send, in characters; the REST
# schema and the osTicket endpoints share it.
MAX_MESSAGE_CHARS = 200_000


def check_text(value: str) -> str:
    """Text the database can store: no NUL characters, no lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    return value


def clean_text(value: object, field: str, *, max_length: int | None = None) -> str:
    """A string from loosely typed input (osTicket JSON sends numbers as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadInput(_("%(field)s: expected text.") % {"field": field}, field)
    text = str(value)
    try:
        check_text(text)
    except ValueError as error:
        raise BadInput(
            _("%(field)s %(error)s.") % {"field": field, "error": error}, field
        ) from None
    if max_length is not None and len(text) > max_length:
        raise BadInput(
            _("%(field)s is longer than %(max_length)s characters.")
            % {"field": field, "max_length": max_length},
            field,
        )
    return text


# RFC 5321's limit for a mail path, and the length of a customer's address column.
# Django's validator takes up to 320 characters, which PostgreSQL then refuses.
MAX_ADDRESS_CHARS = 254


def parse_address(value: str, field: str = "email") -> tuple[str, str]:
    """(name, address) from "addr@example.com" or "Name <addr@example.com>"."""
    name, address = email.utils.parseaddr(value.strip())
    if not address and value.strip():
        address = value.strip()
    address = normalize_email(address)
    try:
        validate_email(address)
    except ValidationError:
        shown = value.strip()[:100]
        raise BadInput(
            _("%(field)s: “%(shown)s” is not a valid email address.")
            % {"field": field, "shown": shown},
            field,
        ) from None
    if len(address) > MAX_ADDRESS_CHARS:
        message = _("%(field)s: an email address is at most %(max)d characters.")
        raise BadInput(message % {"field": field, "max": MAX_ADDRESS_CHARS}, field)
    return name.strip(), address


def to_bool(value: object, default: bool = True) -> bool:
    """osTicket-style booleans: true/false, 1/0, yes/no, on/off; empty is the default."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() not in {"false", "0", "no", "off", "n"}


def to_id(value: object, field: str) -> int | None:
    """A database id from 5, "5" or nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadInput(_("%(field)s: expected a number.") % {"field": field}, field)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BadInput(
            _("%(field)s: expected a number, got “%(value)s”.")
            % {"field": field, "value": str(value)[:40]},
            field,
        ) from None
    if not 1 <= number < 2**63:
        raise BadInput(
            _("%(field)s: no such id (%(number)s).") % {"field": field, "number": number}, field
        )
    return number


# --- data: URLs (RFC 2397) ------------------------------------------------------------


@dataclass(frozen=True)
class Data:
    content_type: str
    charset: str
    content: bytes

    def text(self) -> str:
        try:
            return self.content.decode(self.charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            return self.content.decode("utf-8", errors="replace")


_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def parse_data_url(value: str, field: str) -> Data:
    """`data:[type][;charset=x][;base64],payload`. A payload that is neither base64
    nor percent-encoded is taken as it is, as osTicket does: its own example sends
    `data:text/html,MESSAGE <b>HERE</b>`. A payload with %XX escapes and no spaces
    is percent-decoded, as RFC 2397 clients send it."""
    meta, comma, payload = value[5:].partition(",")
    if not comma:
        raise BadInput(
            _("%(field)s: a data: URL needs a comma before its content.") % {"field": field}, field
        )
    params = [p.strip() for p in meta.split(";")]
    content_type = params[0].lower() if params and "/" in params[0] else "text/plain"
    charset = ""
    is_base64 = False
    for param in params[1:]:
        key, _sep, val = param.partition("=")
        if key.lower() == "charset":
            charset = val.strip().strip('"')
        elif key.lower() == "base64":
            is_base64 = True
    if is_base64:
        content = decode_base64(payload, field)
    elif _PERCENT.search(payload) and not any(c.isspace() for c in payload):
        content = unquote_to_bytes(payload)
    else:
        content = payload.encode("utf-8")
    return Data(content_type, charset or "utf-8", content)


def decode_base64(value: str, field: str) -> bytes:
    """Base64 with line breaks and spaces allowed (XML wraps it); nothing else.
    Content larger than an attachment may be is refused before it is decoded."""
    # The URL-safe alphabet (-_ for +/) is accepted too: some clients send it.
    compact = "".join(value.split()).translate(_URLSAFE).rstrip("=")
    limit = settings.HELPLINE_MAX_ATTACHMENT_BYTES
    if len(compact) * 3 // 4 > limit:
        message = _("%(field)s: the file is too large; the limit is %(size)s.")
        raise BadInput(message % {"field": field, "size": filesizeformat(limit)}, field)
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(
            _("%(field)s: the file content is not valid base64.") % {"field": field}, field
        ) from None


_URLSAFE = str.maketrans("-_", "+/")


def message_html(text: str, content_type: str = "text/plain") -> str:
    """A message body as HTML for the lifecycle (which sanitizes it)."""
    if content_type.lower().strip() == "text/html":
        return text
    return text_to_html(text)


# --- attachments ----------------------------------------------------------------------


def base64_size(value: str) -> int:
    """The size of what `value` decodes to, without decoding it."""
    return len("".join(value.split()).rstrip("=")) * 3 // 4


def check_file_size(name: str, size: int, where: str) -> None:
    limit = settings.HELPLINE_MAX_ATTACHMENT_BYTES
    if size > limit:
        raise BadInput(
            f"{where}: “{name}” is {filesizeformat(size)}; the limit is {filesizeformat(limit)}.",
            where,
        )


def check_files(files: Iterable[tuple[str, bytes]], field: str = "attachments") -> list[Upload]:
    """Named file contents checked against the same limits as the portal and desk:
    count, size and extension. The stored content type comes from the file name,
    never from the client (downloads are served as attachments regardless)."""
    files = list(files)
    limit = settings.HELPLINE_MAX_ATTACHMENTS
    if len(files) > limit:
        raise BadInput(
            _("%(field)s: attach at most %(limit)s files.") % {"field": field, "limit": limit},
            field,
        )
    extensions = allowed_extensions()
    uploads: list[Upload] = []
    for index, (raw_name, content) in enumerate(files):
        name = clean_filename(raw_name)
        where = f"{field}.{index}"
        ext = PurePath(name).suffix.lower()
        if ext not in extensions:
            raise BadInput(
                _("%(where)s: files of type %(type)s are not accepted.")
                % {"where": where, "type": ext or "(none)"},
                where,
            )
        check_file_size(name, len(content), where)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        uploads.append(Upload(filename=name, content_type=content_type, content=content))
    return uploads


# --- help-topic answers -----------------------------------------------------------------


def _answer(question: TopicField, value: str, where: str) -> str:
    """One answer as the portal stores it in `Ticket.extra` (text; ISO dates)."""
    match question.kind:
        case TopicField.Kind.CHOICE:
            if value not in question.choice_list:
                options = ", ".join(question.choice_list)
                raise BadInput(
                    _("%(where)s: choose one of: %(options)s.")
                    % {"where": where, "options": options},
                    where,
                )
        case TopicField.Kind.NUMBER:
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise BadInput(_("%(where)s: enter a number.") % {"where": where}, where) from None
            if not number.is_finite():
                raise BadInput(_("%(where)s: enter a number.") % {"where": where}, where)
        case TopicField.Kind.DATE:
            try:
                day = datetime.date.fromisoformat(value[:10])
            except ValueError:
                raise BadInput(
                    _("%(where)s: enter a date as YYYY-MM-DD.") % {"where": where}, where
                ) from None
            try:
                value = check_date(day).isoformat()
            except OutOfRange as error:
                raise BadInput(
                    _("%(where)s: %(error)s") % {"where": where, "error": error}, where
                ) from None
    return value


def topic_answers(
    topic: HelpTopic | None, data: Mapping[str, Any], prefix: str = ""
) -> dict[str, str]:
    """The answers to the topic's questions found in `data`, by key; other keys are
    ignored. A required question left unanswered is refused."""
    if topic is None:
        return {}
    answers: dict[str, str] = {}
    for question in TopicField.objects.filter(topic=topic):
        where = f"{prefix}{question.key}"
        value = clean_text(data.get(question.key), where, max_length=5000).strip()
        if not value:
            if question.required:
                raise BadInput(
                    _("%(where)s: the help topic “%(topic)s” requires it.")
                    % {"where": where, "topic": topic},
                    where,
                )
            continue
        answers[question.key] = _answer(question, value, where)
    return answers
