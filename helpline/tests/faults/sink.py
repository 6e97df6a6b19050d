"""The fault test's mail server: the tests' aiosmtpd server (notify/tests/smtp.py),
which keeps every message it accepts, plus a trap that does something (kill the
sender, crash the database) in the middle of a message being handed over, at one
of two moments:

- `before`: the message has arrived in full, the server has not kept it yet.
  Killed there, the sender dies waiting for the answer; nobody got the mail, and
  it must go out later, once.
- `after`: the server has kept the message and not yet answered "250 accepted".
  A sender killed there cannot tell this from `before` (no mail protocol can), so
  the mail goes out again once its lease is over: the one case of a mail received
  twice that Helpline accepts (see helpline.notify.models). A database crashed
  there meets the sender as it records the mail as sent: it must wait for the
  database, record it, and not send it again.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any, Literal

from helpline.notify.tests.smtp import SMTPServer, _Collector

Moment = Literal["before", "after"]


class _Trap(_Collector):
    def __init__(self) -> None:
        super().__init__()
        self.armed: tuple[Callable[[], object], Moment] | None = None
        self.fired = threading.Event()
        # Set before the action: a SIGKILLed worker is gone before `fired` is set,
        # and the harness must not take that for a death of its own (a loaded CI
        # machine can pause this thread between the two).
        self.triggered = threading.Event()
        self.caught = ""  # the Message-ID of the message it was handed, if kept

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.armed is None:
            return await super().handle_DATA(server, session, envelope)
        action, moment = self.armed
        self.armed = None
        answer = "451 4.3.0 Not kept"
        if moment == "after":
            answer = await super().handle_DATA(server, session, envelope)
            self.caught = self.messages[-1].header("Message-ID")
        # In this thread, holding up the answer: the sender waits for it meanwhile.
        self.triggered.set()
        action()
        self.fired.set()
        return answer


def killer(pid: int) -> Callable[[], None]:
    return lambda: os.kill(pid, signal.SIGKILL)


class TrapSink(SMTPServer):
    def __init__(self) -> None:
        super().__init__()
        self._handler = self.trap = _Trap()

    def arm(self, action: Callable[[], object], moment: Moment) -> threading.Event:
        """Run `action` when the next message is handed over, at `moment`."""
        self.trap.fired.clear()
        self.trap.triggered.clear()
        self.trap.caught = ""
        self.trap.armed = (action, moment)
        return self.trap.fired

    def disarm(self) -> None:
        self.trap.armed = None
