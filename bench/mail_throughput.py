"""Mail throughput of the real worker: N new tickets, each mailing its customer and
the department's agents, sent by `helpline worker` to a real SMTP server (aiosmtpd).

    .venv/bin/python bench/mail_throughput.py --tickets 300 --agents 6
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mail \\
        .venv/bin/python bench/mail_throughput.py      # an empty database

What it does, in a fresh data folder (SQLite) or the database DATABASE_URL names
(migrated, then filled; use an empty one):

1. migrates, makes a department with `--agents` agents and a topic: each ticket
   opened there mails its customer (the autoresponse) and every agent (the alert),
   `--agents` + 1 mails;
2. opens `--tickets` tickets through the lifecycle, one customer each, with the
   worker stopped (the backlog of a burst), and counts one opening's statements;
3. starts `helpline worker` (the real process, its own settings from the
   environment) against an aiosmtpd server on a free port and times it until the
   server has every mail; then stops it with SIGTERM.

Prints one JSON object: tickets opened per second (one process, in-process calls),
statements per opening, mails/s and tickets/s of the worker (from its start, and
from the first mail to the last, which leaves out the worker's start-up), and how
many SMTP connections it opened. Figures are for one machine and one run: compare
runs made side by side, not with figures from elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class Counter:
    """The aiosmtpd handler: counts messages and connections (EHLO), keeps nothing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = 0
        self.connections = 0
        self.first: float | None = None
        self.last: float | None = None

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        with self.lock:
            self.messages += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def make_data(agents: int) -> Any:
    """A department whose `agents` agents are alerted of each new ticket, and its topic."""
    from helpline.accounts.models import Agent, Department, DepartmentAccess, Role, User
    from helpline.notify.defaults import ensure_templates
    from helpline.tickets.defaults import ensure_defaults
    from helpline.tickets.models import HelpTopic, Priority

    ensure_defaults()
    ensure_templates()
    department = Department.objects.create(name="Bench")
    for i in range(agents):
        user = User.objects.create_user(
            username=f"agent{i}", email=f"agent{i}@example.com", first_name=f"Agent {i}"
        )
        agent = Agent.objects.create(user=user, role=Role.AGENT)
        DepartmentAccess.objects.create(agent=agent, department=department)
    return HelpTopic.objects.create(
        name="Bench", department=department, priority=Priority.objects.get(name="Normal")
    )


def open_tickets(topic: Any, count: int) -> tuple[float, int]:
    """Open `count` tickets; returns (seconds, statements of one opening)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpline.accounts.models import Customer
    from helpline.tickets import lifecycle

    def one(i: int) -> None:
        customer = Customer.objects.create(name=f"Customer {i}", email=f"c{i}@example.net")
        lifecycle.open_ticket(
            lifecycle.NewTicket(
                customer=customer,
                subject=f"Bench ticket {i}",
                body_html=f"<p>Ticket {i}: the printer is on fire.</p>",
                topic=topic,
            ),
            actor=customer,
        )

    with CaptureQueriesContext(connection) as queries:
        one(0)
    started = time.perf_counter()
    for i in range(1, count):
        one(i)
    return time.perf_counter() - started, len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--agents", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    counter = Counter()
    port = free_port()
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    var = tempfile.mkdtemp(prefix="helpline-bench-mail-")
    env = {
        "DJANGO_SETTINGS_MODULE": "helpline.settings",
        "HELPLINE_VAR_DIR": var,
        "SECRET_KEY": "bench-mail-throughput-not-secret",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    helpline = [sys.executable, "-c", "from helpline.cli import main; raise SystemExit(main())"]
    # Our own interpreter and command line, no shell: nothing untrusted runs.
    subprocess.run([*helpline, "migrate", "-v0"], env={**os.environ, **env}, check=True, cwd=ROOT)
    setup_django(env)
    topic = make_data(args.agents)
    opening_seconds, statements = open_tickets(topic, args.tickets)
    from django.db import connections

    connections.close_all()

    expected = args.tickets * (args.agents + 1)
    worker = subprocess.Popen(
        [*helpline, "worker"], env={**os.environ, **env}, cwd=ROOT, start_new_session=True
    )
    started = time.monotonic()
    try:
        while counter.messages < expected and time.monotonic() - started < args.timeout:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        smtp.stop()
    steady = (counter.last or 0) - (counter.first or 0)
    print(
        json.dumps(
            {
                "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
                "tickets": args.tickets,
                "mails_per_ticket": args.agents + 1,
                "mails_expected": expected,
                "mails_received": counter.messages,
                "smtp_connections": counter.connections,
                "opening_tickets_per_s": round((args.tickets - 1) / opening_seconds, 1),
                "statements_per_opening": statements,
                "worker_seconds": round(elapsed, 2),
                "worker_mails_per_s": round(counter.messages / elapsed, 1),
                "worker_tickets_per_s": round(counter.messages / elapsed / (args.agents + 1), 1),
                "steady_mails_per_s": round((counter.messages - 1) / steady, 1) if steady else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
