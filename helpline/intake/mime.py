"""Walking a parsed message's MIME tree: bodies, attachments, delivery reports.

One recursive walk instead of `EmailMessage.get_body()`/`iter_attachments()`, which
raise on unknown charsets and give up on broken structures. Limits on depth and on
the number of parts keep a hostile message from costing more than a normal one.

Before that, `check_mime` looks at the raw bytes, since the stdlib's parser itself is
the expensive part: it checks every line against every enclosing boundary and
recurses once per level, so 5,000 nested multiparts (350 KB) cost 2.6 s and end in
a RecursionError, and with `policy.default` each part costs about a millisecond
(20,000 parts: 18 s). A message beyond MAX_MIME_DEPTH or MAX_MIME_PARTS is never
handed to it: intake reads its headers only and quarantines it with the reason.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.policy import Policy
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _

from helpline.intake.charsets import clean_text, decode_bytes, decode_words
from helpline.lib.content_id import clean_content_id

MAX_DEPTH = 30
MAX_PARTS = 500
# What `check_mime` lets the stdlib parser see (real mail nests under 10 deep).
MAX_MIME_DEPTH = 50
MAX_MIME_PARTS = 1000
MAX_ORIGINAL_IDS = 100


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""  # without the angle brackets; "cid:" links in the HTML use it
    is_inline: bool = False
    # The message itself, kept because its body could not be shown whole: the
    # attachment limits (type, size, count) are for files people attach, not for it.
    kept_whole: bool = False


# --- the shape of the raw message, before parsing ------------------------------------

# A line that starts with "--", after any line ending the stdlib parser knows (CRLF,
# a bare LF, a bare CR: mail with bare CRs is parsed into parts too).
_DELIMITER = re.compile(rb"[\r\n]--([^\r\n]*)")
_BOUNDARY_PARAM = re.compile(rb"boundary", re.IGNORECASE)
_RFC2231_BOUNDARY = re.compile(rb"boundary\s*\*", re.IGNORECASE)


def mime_shape(raw: bytes) -> tuple[int, int]:
    """(depth, parts): an upper estimate of how deep the multiparts of `raw` nest
    and how many parts they have, in linear time, without parsing.

    Every line `--X` whose X was declared as a boundary somewhere (the text after
    any "boundary") opens a level unless X is open already; a closing `--X--`
    closes it only when X is the innermost level. The parser may close levels
    earlier (an outer delimiter ends the inner parts), never later, so the depth
    is never under-estimated. Boundaries that are hard to read off the raw text
    (RFC 2231 continuations, quotes, backslashes) count whenever their line
    appears."""
    declared = _declared_boundaries(raw)
    lenient = bool(_RFC2231_BOUNDARY.search(raw))
    stack: list[bytes] = []
    open_now: set[bytes] = set()
    known: dict[bytes, bool] = {}
    depth = parts = 0
    for match in _DELIMITER.finditer(b"\n" + raw):  # "\r\n--" matches once, at "\n"
        token = match.group(1).rstrip(b" \t")
        if stack and token == stack[-1] + b"--":
            open_now.discard(stack.pop())
            continue
        if token in open_now:
            parts += 1
            continue
        if token not in known:
            if len(known) > 10 * MAX_MIME_PARTS:  # not worth looking further
                return depth + len(known), parts + len(known)
            known[token] = bool(token) and (
                lenient or token in declared or b'"' in token or b"\\" in token
            )
        if known[token]:
            stack.append(token)
            open_now.add(token)
            parts += 1
            depth = max(depth, len(stack))
    return depth, parts


_QUOTED = re.compile(rb'"([^"]*)"')
_WORD_SEPARATORS = re.compile(rb'[\s;=()"]+')


# The end of a header field: a line ending not followed by a folding space or tab.
_FIELD_END = re.compile(rb"(?:\r\n|\r|\n)(?![ \t])")


def _declared_boundaries(raw: bytes) -> set[bytes]:
    """Every string that might be a declared boundary: the quoted strings and the
    words after each "boundary", up to the end of its header field however long
    (the stdlib takes boundaries of any length) and at least 300 bytes (folded
    headers, comments and odd quoting included; more candidates only make the
    estimate larger). Overlapping stretches are read once, and the end of a field
    is searched for once, so this stays linear."""
    found: set[bytes] = set()
    start = end = 0
    field_end = -1  # where the field of the last "boundary" ends
    for match in _BOUNDARY_PARAM.finditer(raw):
        if match.end() > field_end:
            found_end = _FIELD_END.search(raw, match.end())
            field_end = found_end.end() if found_end else len(raw)
        if match.start() > end:
            _words_of(raw[start:end], found)
            start = match.end()
        end = max(end, field_end, match.end() + 300)
    _words_of(raw[start:end], found)
    return found


def _words_of(stretch: bytes, found: set[bytes]) -> None:
    found.update(value.rstrip() for value in _QUOTED.findall(stretch))
    found.update(_WORD_SEPARATORS.split(stretch))


def check_mime(raw: bytes) -> str:
    """ "" when the message's structure is within the bounds; else why not."""
    depth, parts = mime_shape(raw)
    if depth > MAX_MIME_DEPTH:
        return _(
            "The message nests MIME parts {depth:,} deep; Helpline reads at most {limit:,}."
        ).format(depth=depth, limit=MAX_MIME_DEPTH)
    if parts > MAX_MIME_PARTS:
        return _too_many_parts(parts)
    return ""


# --- what the parser actually builds ---------------------------------------------------


class MimeBoundsExceeded(Exception):
    """The stdlib parser built more parts, or nested deeper, than the bounds allow:
    a message `check_mime`'s estimate did not catch. `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_bounded(raw: bytes, parse_policy: Policy) -> Message:
    """`raw` parsed with `parse_policy`, raising MimeBoundsExceeded as soon as the
    parser has built MAX_MIME_PARTS parts, or when it recursed too deep (the stdlib
    nests a generator per level and ends in a RecursionError). This bounds the
    parser's cost by what it really sees, whatever the raw text looks like."""
    made = 0
    message_class: Any = parse_policy.message_factory or Message

    def factory(policy: Policy) -> Message:
        nonlocal made
        made += 1
        if made > MAX_MIME_PARTS + 1:  # the parser calls it once to try it out
            raise MimeBoundsExceeded(
                _("The message has more than {limit:,} MIME parts; Helpline reads no more.").format(
                    limit=MAX_MIME_PARTS
                )
            )
        return message_class(policy=policy)

    try:
        # typeshed wants a factory without arguments; the parser passes the policy
        # to one that takes it (email.feedparser.FeedParser.__init__).
        return BytesParser(factory, policy=parse_policy).parsebytes(raw)  # type: ignore[arg-type]
    except RecursionError:
        raise MimeBoundsExceeded(
            _("The message nests MIME parts deeper than Helpline reads ({limit:,}).").format(
                limit=MAX_MIME_DEPTH
            )
        ) from None


def _too_many_parts(parts: int) -> str:
    return _("The message has {parts:,} MIME parts; Helpline reads at most {limit:,}.").format(
        parts=parts, limit=MAX_MIME_PARTS
    )


@dataclass
class Collected:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    report_type: str = ""
    original_message_id: str = ""
    original_ids: str = ""
    bounce_summary: str = ""
    parts: int = 0

    @property
    def text(self) -> str:
        return "\n\n".join(t.strip("\r\n") for t in self.texts if t.strip())

    @property
    def html(self) -> str:
        return "\n".join(h for h in self.htmls if h.strip())


def collect(msg: Message) -> Collected:
    found = Collected()
    _visit(msg, found, depth=0)
    return found


_CONTENT_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")


def _content_type(part: Message) -> str:
    try:
        ctype = re.sub(r"[\x00-\x20\x7f]", "", part.get_content_type()).lower()
    except Exception:
        ctype = ""
    return ctype if _CONTENT_TYPE.fullmatch(ctype) else "application/octet-stream"


def _param(part: Message, name: str, header: str = "content-type") -> str:
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):  # an RFC 2231 (charset, language, value) triple
        value = value[2]
    return clean_text(str(value)) if value else ""


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    try:  # undecodable transfer encoding: keep what is there
        raw = part.get_payload()
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    except Exception:
        return b""


def _text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(_payload(part), charset)


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = _param(part, "filename", "content-disposition") or _param(part, "name")
    name = clean_text(str(name))
    if "=?" in name:  # RFC 2047 inside a parameter: wrong, and what Outlook sends
        name = decode_words(name)
    name = PurePath(name.replace("\\", "/")).name if name.strip() else ""
    return _UNSAFE_NAME.sub("", name).strip()[:200]


def _header_ids(headers: Message) -> tuple[str, str]:
    """(Message-ID, every id in Message-ID/In-Reply-To/References) of a header block."""
    values: dict[str, str] = {}
    for key, value in headers.raw_items():
        name = str(key).strip().lower()
        if name in ("message-id", "in-reply-to", "references"):
            values.setdefault(name, "")
            values[name] += " " + clean_text(str(value))
    ids = re.findall(r"<[^<>\s]+>", values.get("message-id", ""))
    every = re.findall(r"<[^<>\s]+>", " ".join(values.values()))
    # Each is looked up (and checked for our signature): a bounced message naming
    # thousands of ids is no better a guide than its first hundred.
    return (ids[0] if ids else ""), " ".join(every[:MAX_ORIGINAL_IDS])


def _remember_original(found: Collected, headers: Message) -> None:
    if found.original_ids:
        return
    found.original_message_id, found.original_ids = _header_ids(headers)


_STATUS_FIELDS = ("final-recipient", "action", "status", "diagnostic-code")


def _delivery_status(part: Message) -> str:
    """One line per failed recipient: "rfc822; bob@x.org: failed 5.1.1 (550 ...)"."""
    payload = part.get_payload()
    blocks: list[Message]
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, Message)]
    else:
        text = _text(part)
        parser = HeaderParser(policy=policy.compat32)
        blocks = [parser.parsestr(chunk.strip()) for chunk in re.split(r"\n\s*\n", text)]
    lines = []
    for block in blocks:
        fields = {
            str(k).strip().lower(): " ".join(clean_text(str(v)).split())
            for k, v in block.raw_items()
        }
        if "final-recipient" in fields or "status" in fields:
            line = " ".join(fields.get(name, "") for name in _STATUS_FIELDS[:3]).strip()
            if fields.get("diagnostic-code"):
                line += f" ({fields['diagnostic-code']})"
            lines.append(line[:500])
    return "\n".join(lines)


def _message_bytes(inner: Message) -> bytes:
    for make in (inner.as_bytes, lambda: inner.as_bytes(policy=policy.compat32)):
        try:
            return make()
        except Exception:  # noqa: S112 - try the lenient generator next
            continue
    return b""


def _attach(found: Collected, part: Message, ctype: str, content: bytes) -> None:
    name = _filename(part)
    content_id = ""
    try:
        # Only an id a header of ours may carry again (lib.content_id).
        content_id = clean_content_id(clean_text(str(part.get("content-id") or "")))
    except Exception:
        content_id = ""
    if not name:
        extension = mimetypes.guess_extension(ctype) or ".bin"
        stem = "image" if ctype.startswith("image/") else "attachment"
        name = f"{stem}-{len(found.attachments) + 1}{extension}"
    disposition = _disposition(part)
    found.attachments.append(
        MailAttachment(
            filename=name,
            content_type=ctype,
            content=content,
            content_id=content_id,
            is_inline=disposition == "inline" or (bool(content_id) and disposition != "attachment"),
        )
    )


def _visit(part: Message, found: Collected, depth: int) -> None:
    found.parts += 1
    if depth > MAX_DEPTH or found.parts > MAX_PARTS:
        return
    try:
        _visit_part(part, found, depth)
    except Exception:
        # One part the stdlib cannot make sense of: keep its bytes, go on with the rest.
        _attach(found, part, "application/octet-stream", _payload(part))


def _visit_part(part: Message, found: Collected, depth: int) -> None:
    ctype = _content_type(part)
    if ctype.startswith("multipart/"):
        if ctype == "multipart/report" and depth <= 1 and not found.report_type:
            found.report_type = _param(part, "report-type").lower()
        children = part.get_payload()
        if isinstance(children, list):
            for child in children:
                if isinstance(child, Message):
                    _visit(child, found, depth + 1)
        elif isinstance(children, str) and children.strip():
            # No boundary found: the body is all there is; keep it as text.
            found.texts.append(_text(part))
        return
    if ctype in ("message/rfc822", "message/global"):
        inner = part.get_payload()
        message = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(message, Message):
            if found.report_type:
                _remember_original(found, message)
            _attach(found, part, "message/rfc822", _message_bytes(message))
        return
    if ctype == "message/delivery-status":
        found.bounce_summary = _delivery_status(part)
        return
    if ctype == "text/rfc822-headers":
        _remember_original(found, HeaderParser(policy=policy.compat32).parsestr(_text(part)))
        return
    disposition = _disposition(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not _filename(part):
        (found.texts if ctype == "text/plain" else found.htmls).append(_text(part))
        return
    _attach(found, part, ctype, _payload(part))
