"""A real SMTP server (aiosmtpd) that keeps nothing but counts: what "mail going out"
means in the bench is a mail accepted by an SMTP server over TCP."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Counts:
    messages: int = 0
    recipients: int = 0
    last_at: float = 0.0  # time.monotonic() of the last message


class _Handler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts = Counts()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.counts.messages += 1
            self.counts.recipients += len(envelope.rcpt_tos)
            self.counts.last_at = time.monotonic()
        return "250 OK"


def free_port() -> int:
    """A TCP port nobody listens on now (aiosmtpd cannot start on port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """`with Sink() as sink:` an SMTP server on 127.0.0.1:<sink.port>."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=free_port())

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def snapshot(self) -> Counts:
        with self.handler.lock:
            c = self.handler.counts
            return Counts(c.messages, c.recipients, c.last_at)
