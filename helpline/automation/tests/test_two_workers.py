"""Two real worker processes at once (`manage.py worker`, the scheduler included)
sweep the same overdue tickets and send the same outbox: every missed target is
marked once, every escalation level fires once, and every alert reaches a real
SMTP server (aiosmtpd) exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.automation.tasks import sweep_sla
from helpline.automation.tests.sweeping import policy, targets
from helpline.conftest import World
from helpline.notify.models import MailKind, OutboundMessage, OutboundStatus
from helpline.notify.tests.smtp import Received, SMTPServer
from helpline.sla.models import EscalationFired, Target, Trigger
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, EventKind, Priority, Ticket

# Under xdist (make test) in the same group as the fault run: these tests load the
# machine and hold time limits, so they run one after another on one worker.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("heavy")]

ROOT = Path(__file__).resolve().parents[3]
TICKETS = 6
DEADLINE = 120  # seconds; done in about 10 when the machine is not loaded
SWEEP = "helpline.automation.tasks.sweep_sla"
ADA, BOB = "ada.admin@example.com", "bob.sales@example.com"


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    yield server
    server.stop()


class Worker:
    """A `helpline worker` process whose output is read as it comes, so the test
    can wait until it is ready (its SIGTERM handler installed) before giving it work
    and stopping it: a worker stopped while still starting exits -15 and, under a
    loaded machine, might not have taken a single task."""

    def __init__(self, smtp: SMTPServer) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpline.automation.tests.worker_settings",
            "HELPLINE_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "SMTP_HOST": smtp.host,
            "SMTP_PORT": str(smtp.port),
            "SMTP_TIMEOUT": "5",
        }
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.1", "--verbosity", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if "Starting worker" in line:
                self.ready.set()

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        return self.process.returncode, "".join(self.lines)


def all_done(smtp: SMTPServer) -> bool:
    """Every level fired, every task run, every mail sent and received."""
    if EscalationFired.objects.count() < 2 * TICKETS:
        return False
    if DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
        return False
    if OutboundMessage.objects.exclude(status=OutboundStatus.SENT).exists():
        return False
    return len(smtp.messages) >= OutboundMessage.objects.count()


def test_two_workers_at_once_mark_fire_and_mail_everything_exactly_once(
    world: World, smtp: SMTPServer
) -> None:
    plan = targets(world, first_response="1", resolution="2")
    world.support.manager = world.admin
    world.support.save()
    policy(
        plan,
        {
            "name": "Heads-up",
            "target": Target.FIRST_RESPONSE,
            "trigger": Trigger.BEFORE_DUE,
            "percent": 50,
            "notify_agents": [world.other_agent],
        },
        {
            "name": "Level II",
            "target": Target.RESOLUTION,
            "trigger": Trigger.AFTER_DUE,
            "minutes": 10,
            "notify_assignee": False,
            "assign_team": world.team,
            "raise_priority_to": Priority.objects.get(name="High"),
        },
    )
    started = time.monotonic()
    workers = [Worker(smtp), Worker(smtp)]
    try:
        for worker in workers:
            assert worker.ready.wait(timeout=60), "".join(worker.lines)
        # Opened three hours ago: both targets and both levels' moments have passed.
        with time_machine.travel(timezone.now() - timedelta(hours=3), tick=False):
            tickets = [world.open(f"Ticket {n}") for n in range(TICKETS)]
            for ticket in tickets[::2]:
                lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent)
        for _ in range(4):  # beside the schedulers' own: both workers sweep at once
            sweep_sla.enqueue()
        while not all_done(smtp) and time.monotonic() - started < DEADLINE:
            if any(w.process.poll() is not None for w in workers):
                break
            time.sleep(0.2)
    finally:
        results = [w.stop() for w in workers]
    elapsed = time.monotonic() - started
    for code, err in results:
        assert code == 0, err
    assert all_done(smtp), f"not done after {elapsed:.1f} s"

    # Both workers did work, and every sweep ran cleanly (no ticket failed).
    tasks = DBTaskResult.objects.all()
    assert len({t.worker_ids[0] for t in tasks if t.worker_ids}) == 2
    sweeps = [t.return_value for t in tasks.filter(task_path=SWEEP)]
    assert len(sweeps) >= 4 and all(s is not None and s["failed"] == 0 for s in sweeps), sweeps
    assert not tasks.filter(status="FAILED").exists()

    # Each ticket: one OVERDUE per missed target, one ESCALATED per level.
    for ticket in tickets:
        marked = Event.objects.filter(ticket=ticket, kind=EventKind.OVERDUE)
        assert sorted(e.data["target"] for e in marked) == ["first_response", "resolution"]
        escalated = Event.objects.filter(ticket=ticket, kind=EventKind.ESCALATED)
        assert sorted(e.new_value for e in escalated) == ["Heads-up", "Level II"]
        done = Ticket.objects.get(pk=ticket.pk)
        assert (done.is_overdue, done.escalation_level, done.sla_alarm_at) == (True, 2, None)
        assert (done.team_id, done.priority.name) == (world.team.pk, "High")
    fired = Counter(EscalationFired.objects.values_list("ticket_id", "level__order"))
    assert fired == Counter({(t.pk, order): 1 for t in tickets for order in (1, 2)})

    # Every outbox row sent once, and received once.
    outbox = {m.message_id: m for m in OutboundMessage.objects.all()}
    assert {(m.status, m.attempts) for m in outbox.values()} == {(OutboundStatus.SENT, 1)}
    received = Counter(m.header("Message-ID") for m in smtp.messages)
    assert received == Counter(dict.fromkeys(outbox, 1))
    per_alert = Counter(alert_key(m, outbox) for m in smtp.messages)
    assert max(per_alert.values()) == 1, per_alert.most_common(3)
    # Per ticket: the manager heard about both misses and both levels; Bob, named
    # by level 1 only, once.
    for ticket in tickets:
        assert mails(per_alert, ticket, ADA, MailKind.OVERDUE_ALERT) == 2
        assert mails(per_alert, ticket, ADA, MailKind.ESCALATION_ALERT) == 2
        assert mails(per_alert, ticket, BOB, MailKind.ESCALATION_ALERT) == 1
    assert elapsed < DEADLINE


def alert_key(mail: Received, outbox: dict[str, OutboundMessage]) -> tuple[int, str, str, int]:
    """(ticket, recipient, kind, event) of a received mail."""
    row = outbox[mail.header("Message-ID")]
    [recipient] = mail.rcpt_tos
    return (row.ticket_id or 0, recipient, row.kind, row.event_id or 0)


def mails(per_alert: Counter[tuple[int, str, str, int]], ticket: Ticket, to: str, kind: str) -> int:
    return sum(n for (t, r, k, _), n in per_alert.items() if (t, r, k) == (ticket.pk, to, kind))
