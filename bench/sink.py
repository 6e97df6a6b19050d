"""A real SMTP server (aiosmtpd) that keeps nothing but counts: what "mail going out"
means in the bench is a mail accepted by an SMTP server over TCP. It counts every
mail, and each burst's apart (`BURST`), with the burst's duplicates."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

# What a burst of the bench puts in its tickets' subjects, which Helpline's mails
# repeat in theirs (the autoresponse's "[#N] <subject>", the alert's "New ticket
# #N: <subject>"): the sink counts each burst's mail apart from any other (the SLA
# alerts of the generated tickets, a burst before that had not drained).
BURST = re.compile(r"\[bench-burst ([0-9a-z-]+)\]")


def burst_marker(tag: str) -> str:
    """The marker of the burst `tag` (lowercase letters, digits and hyphens)."""
    if not re.fullmatch(r"[0-9a-z-]+", tag):
        raise ValueError(f"not a burst tag: {tag!r}")
    return f"[bench-burst {tag}]"


@dataclass
class Counts:
    messages: int = 0
    recipients: int = 0
    last_at: float = 0.0  # time.monotonic() of the last message
    # The same subject to the same recipient again (a burst's mail only: each of
    # its tickets has its own subject): sent twice.
    duplicates: int = 0

    @property
    def unique(self) -> int:
        """Recipients, each (subject, recipient) once."""
        return self.recipients - self.duplicates


def _subject(content: bytes | str) -> str:
    raw = content.encode() if isinstance(content, str) else content
    return str(BytesHeaderParser(policy=default_policy).parsebytes(raw).get("subject", ""))


class _Handler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts = Counts()
        self.bursts: dict[str, Counts] = {}
        self.seen: dict[str, set[tuple[str, str]]] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        subject = _subject(envelope.original_content or envelope.content)
        found = BURST.search(subject)
        now = time.monotonic()
        with self.lock:
            for counts in (self.counts, *([self._burst(found[1])] if found else [])):
                counts.messages += 1
                counts.recipients += len(envelope.rcpt_tos)
                counts.last_at = now
            if found:
                seen = self.seen.setdefault(found[1], set())
                for rcpt in envelope.rcpt_tos:
                    key = (subject, rcpt.lower())
                    if key in seen:
                        self.bursts[found[1]].duplicates += 1
                    seen.add(key)
        return "250 OK"

    def _burst(self, tag: str) -> Counts:
        return self.bursts.setdefault(tag, Counts())


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

    def snapshot(self, burst: str | None = None) -> Counts:
        """Every mail so far, or the burst `burst`'s (its marker in the subject)."""
        with self.handler.lock:
            c = self.handler.counts if burst is None else self.handler.bursts.get(burst)
            return Counts(c.messages, c.recipients, c.last_at, c.duplicates) if c else Counts()
