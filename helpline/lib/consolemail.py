"""The development mailer: each mail written to a file, readable, and one log line.

Without SMTP settings Helpline does not send mail (so `make run` works on a
fresh machine). A person trying it out still needs to read it, to follow the
link in a password reset or registration mail; an operator reading the logs
does not want whole mails (the customer's words, account links) scrolling by
between the log lines. So each mail is written to a file of its own in a
directory (var/mail/ by default), and the log gets one line that names the
recipients, the subject and the file.

Django's console and file backends write the raw MIME source: a subject with one
accented letter becomes `=?utf-8?q?...?=`, a body in quoted-printable breaks
every long line with `=` and turns `=` in a link into `=3D`, so a copied link
does not work. The file holds the decoded headers, each text part as text, and
the attachments by name, type and size.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from email.message import EmailMessage as MIMEMessage
from email.message import Message
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

log = logging.getLogger("helpline.mail")

# Control characters other than line breaks and tabs, shown as U+FFFD: subjects
# and messages come from strangers, and ESC sequences printed raw could retitle,
# clear or (OSC 52) write the clipboard of the operator's terminal.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HEADERS = ("Message-ID", "Date", "From", "To", "Cc", "Reply-To", "Subject")


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


class EmailBackend(BaseEmailBackend):
    """Writes each mail to `directory` (OPTIONS; default VAR_DIR/mail) and logs
    one INFO line about it on `helpline.mail`."""

    def __init__(self, *, directory: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(directory or Path(settings.VAR_DIR) / "mail")

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            # The time first, so the directory lists in the order mail was "sent".
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.txt"
            path = self.directory / name
            path.write_text(f"{readable(message)}\n", encoding="utf-8")
            log.info(
                "Mail not sent (no SMTP_HOST), written to %s: to %s, subject %s",
                path,
                _CONTROLS.sub("\ufffd", ", ".join(message.recipients())),
                _CONTROLS.sub("\ufffd", repr(str(message.subject))),
            )
        return len(email_messages)
