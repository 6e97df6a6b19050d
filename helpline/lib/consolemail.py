"""Mail written to the console, readable: the development mailer.

Without SMTP settings Helpline "sends" mail by printing it (so `make run` works
on a fresh machine, and a person trying it out can follow the links in the
password reset or registration mail). Django's console backend prints the raw
MIME source: a subject with one accented letter becomes `=?utf-8?q?...?=`, a
body in quoted-printable breaks every long line with `=` and turns `=` in a
link into `=3D`, so a copied link does not work. This one prints the decoded
headers, each text part as text, and the attachments by name, type and size,
between rulers.
"""

from __future__ import annotations

import re
from email.message import EmailMessage as MIMEMessage
from email.message import Message
from typing import Any

from django.core.mail.backends import console

# Control characters other than line breaks and tabs, shown as U+FFFD: subjects
# and messages come from strangers, and ESC sequences printed raw could retitle,
# clear or (OSC 52) write the clipboard of the operator's terminal.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HEADERS = ("Message-ID", "Date", "From", "To", "Cc", "Reply-To", "Subject")
RULER = "-" * 79


def _text(part: Message) -> str:
    if isinstance(part, MIMEMessage):
        return str(part.get_content())
    payload = part.get_payload(decode=True)
    charset = part.get_content_charset() or "utf-8"
    return bytes(payload).decode(charset, "replace") if isinstance(payload, bytes) else ""


def readable(message: Any) -> str:
    """A Django EmailMessage as a person reads it."""
    mime = message.message()
    lines = [f"{name}: {mime[name]}" for name in HEADERS if mime[name] is not None]
    for part in mime.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        name = part.get_filename()
        if name or part.get_content_disposition() == "attachment":
            size = len(part.get_payload(decode=True) or b"")
            lines += ["", f"[attachment: {name or 'unnamed'}, {kind}, {size} bytes]"]
        elif kind == "text/plain":
            lines += ["", _text(part).rstrip()]
        elif kind == "text/html":
            lines += ["", f"[{kind} version of the text above: {len(_text(part))} characters]"]
        else:
            lines += ["", f"[{kind} part]"]
    return _CONTROLS.sub("\ufffd", "\n".join(lines))


class EmailBackend(console.EmailBackend):
    """Django's console backend (its locking and streams), with readable output."""

    def write_message(self, message: Any) -> None:
        self.stream.write(f"{readable(message)}\n{RULER}\n")
