"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 and a free port.

It runs in a thread of its own and keeps every message it accepts, with its
envelope and parsed with the standard library, so a test can check what a mail
client would see. It can also refuse the next messages (`refuse_next`) or be
stopped and started again, for tests of retries.

    server = SMTPServer().start()
    ...                                  # send mail to 127.0.0.1:server.port
    server.messages[0].message["Subject"]
    server.stop()
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    def header(self, name: str) -> str:
        return str(self.message.get(name, ""))

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return str(part.get_content()) if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        return str(part.get_content()) if part is not None else ""


class _Collector:
    """The aiosmtpd handler: accepts and keeps messages, or refuses them on demand."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.refusals: deque[str] = deque()
        self.connections = 0  # sessions that said EHLO: one per SMTP connection

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does when there is no hook
        self.connections += 1
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusals:
            return self.refusals.popleft()
        raw = bytes(envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                raw=raw,
                message=parsed,
            )
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port nobody listens on right now (bound, read, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SMTPServer:
    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._handler = _Collector()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self._handler.messages

    @property
    def connections(self) -> int:
        """How many SMTP connections greeted the server (EHLO) so far."""
        return self._handler.connections

    def start(self) -> SMTPServer:
        # A fresh controller each time: aiosmtpd's cannot be started twice.
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse_next(self, count: int = 1, reply: str = "451 4.3.0 Try again later") -> None:
        """Answer the next `count` messages with `reply` instead of accepting them."""
        self._handler.refusals.extend([reply] * count)

    def to(self, address: str) -> list[Received]:
        """The messages whose envelope names `address` as a recipient."""
        return [m for m in self.messages if address in m.rcpt_tos]

    def mailer_settings(self) -> dict[str, Any]:
        """A MAILERS setting that sends here (Django 6.1's shape)."""
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": self.host, "port": self.port, "timeout": 5},
            }
        }
