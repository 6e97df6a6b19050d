"""Building test mail: real RFC 5322 bytes made by the stdlib, as a mail client would."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from django.utils import timezone

_numbers = itertools.count(1)


def mail(
    *,
    sender: str = "Ken Adams <ken@example.com>",
    to: str = "support@helpline.test",
    cc: str = "",
    subject: str = "Printer on fire",
    body: str = "It is really on fire.",
    html: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    """One message as bytes. `attachments` are (filename, content type, content)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id or make_msgid(f"t{next(_numbers)}", domain="mail.example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=SMTP)


def message_id_of(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError("no Message-ID")


def bounce(*, original: bytes, sender: str = "MAILER-DAEMON@mx.example.org") -> bytes:
    """A delivery status notification (RFC 3464) reporting on `original`."""
    boundary = "dsn-boundary-42"
    headers = original.split(b"\r\n\r\n", 1)[0]
    return (
        (
            f"From: Mail Delivery System <{sender}>\r\n"
            "To: support@helpline.test\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: <dsn.{next(_numbers)}@mx.example.org>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            f' boundary="{boundary}"\r\n'
            "\r\n"
            f"--{boundary}\r\n"
            "Content-Type: text/plain\r\n\r\n"
            "I'm sorry to have to inform you that your message could not be delivered.\r\n"
            f"--{boundary}\r\n"
            "Content-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.org\r\n\r\n"
            "Final-Recipient: rfc822; nobody@example.org\r\n"
            "Action: failed\r\n"
            "Status: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n"
            f"--{boundary}\r\n"
            "Content-Type: text/rfc822-headers\r\n\r\n"
        ).encode()
        + headers
        + f"\r\n--{boundary}--\r\n".encode()
    )
