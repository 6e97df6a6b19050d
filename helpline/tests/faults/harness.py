"""One run of the fault test: a real Helpline under load, hurt step by step.

    database   a temp SQLite file, or a private PostgreSQL cluster (cluster.py)
    site       gunicorn with 3 web workers + `helpline worker`, mail to aiosmtpd
    load       4 API clients opening tickets and replying (load.py)
    faults     the STEPS below, one every ~1.5 s once the load runs, then 3 s
               more of load to show the site came back
    settle     the load stops; the worker sends what is left (the outbox sweep
               finds mail whose task was lost, and mail whose sender died once its
               lease is over); then everything stops cleanly
    probe      the database is read (site_db.py probe) for the invariants

The worker is restarted at once after each kill, as a supervisor would. A worker
that dies without being killed (say, of a database restart) is restarted too, and
written down in `Outcome.deaths` for the test to judge. Each step that hurts the
worker or the database waits until the worker is up and in its loop, so no fault
lands on a process that is still starting.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from helpline.notify.tests.smtp import free_port
from helpline.tests.faults import settings as fault_settings
from helpline.tests.faults.cluster import Cluster
from helpline.tests.faults.load import Load, Sent
from helpline.tests.faults.peek import Peek
from helpline.tests.faults.processes import Web, Worker, run_script
from helpline.tests.faults.sink import Moment, TrapSink, killer

LEASE = timedelta(seconds=fault_settings.HELPLINE_OUTBOX_LEASE_SECONDS)
# The faults, in order; the database ones only on PostgreSQL.
STEPS = [
    # SIGKILL the worker while the mail server holds a message it has not kept.
    "kill-worker-before-accept",
    # SIGKILL a web worker, the one using CPU (serving a request) if any is.
    "kill-web",
    # PostgreSQL stopped ("fast": every connection cut, a checkpoint) while the
    # worker is busy, down for AWAY seconds, started again.
    "restart-db-fast",
    # SIGKILL the worker at a moment of the scheduler's choosing.
    "kill-worker",
    "kill-web",
    # PostgreSQL crashed ("immediate": no checkpoint, WAL recovery on start) after
    # the mail server kept a message and before it said so: the worker hears
    # "250" with the database gone, and must record the mail as sent once it is
    # back, not send it again.
    "crash-db-while-sending",
    # SIGKILL the worker after the mail server kept a message, before it said so.
    "kill-worker-after-accept",
    "kill-web",
]
DATABASE_STEPS = ("restart-db-fast", "crash-db-while-sending")
AWAY = 1.0  # seconds the database stays down
WARM_UP = 2.0  # seconds of load before the first fault
GAP = 1.5  # seconds between faults
COOL_DOWN = 3.0  # seconds of load after the last one
READY_SECONDS = 60.0  # for a (re)started worker to be in its loop
RECOVER_SECONDS = 30.0  # for the worker to take a task once the database is back
TRAP_SECONDS = 15.0  # for the worker to hand a message over, when a step waits for it
SETTLE_SECONDS = 60.0


@dataclass
class Outcome:
    sent: list[Sent]
    state: dict[str, Any]  # site_db.py probe
    received: Counter[str]  # Message-ID -> copies the SMTP server accepted
    # Message-IDs a sender had claimed when it was SIGKILLed: SMTP may have taken
    # them already, so these alone may arrive twice (see helpline.notify.models).
    in_flight: set[str] = field(default_factory=set)
    # The Message-ID the database crashed under (crash-db-while-sending).
    crashed_under: str = ""
    faults: list[str] = field(default_factory=list)  # "12.5s kill-web: pid 123 (serving)"
    deaths: list[str] = field(default_factory=list)  # workers that died unkilled
    errors: list[str] = field(default_factory=list)  # 4xx answers, with their body
    timings: dict[str, float] = field(default_factory=dict)
    logs: str = ""

    def count(self, kind: str, test: Callable[[Sent], bool]) -> int:
        return sum(1 for s in self.sent if s.kind == kind and test(s))


def _site_script(env: dict[str, str], job: str) -> dict[str, Any]:
    return run_script("helpline.tests.faults.site_db", env, job)


class Run:
    def __init__(self, folder: Path, postgres: bool) -> None:
        self.folder = folder
        self.postgres = postgres
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self.outcome = Outcome(sent=[], state={}, received=Counter())
        self.pg: Cluster | None = None
        self.worker: Worker | None = None
        self.workers_started = 0
        self.processes: list[Worker | Web] = []

    # -- processes --

    def _start_worker(self) -> Worker:
        self.workers_started += 1
        self.worker = Worker(self.env, self.logs, self.workers_started)
        self.processes.append(self.worker)
        return self.worker

    def _supervise(self) -> None:
        """Restart the worker if it died on its own; note that it did."""
        assert self.worker is not None
        if not self.worker.alive():
            code = self.worker.process.returncode
            self.outcome.deaths.append(
                f"{self._now():.1f}s {self.worker.name} exited {code}\n{self.worker.tail(15)}"
            )
            self._start_worker()

    def _now(self) -> float:
        return time.monotonic() - self.load_started

    # -- faults --

    def _wait_for_worker(self, busy: bool = False) -> Worker:
        """Until the worker is in its loop (and, if `busy`, has run a task)."""
        deadline = time.monotonic() + READY_SECONDS
        while True:
            self._supervise()
            assert self.worker is not None
            if self.worker.tasks() if busy else self.worker.ready():
                return self.worker
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not start\n" + self.worker.tail())
            time.sleep(0.1)

    def _trap(self, worker: Worker, action: Callable[[], object], moment: Moment) -> str:
        """Run `action` when the sink is handed a message at `moment`; returns the
        Message-ID it kept ("" if none), or "-" if no message came in time."""
        fired = self.sink.arm(action, moment)
        deadline = time.monotonic() + TRAP_SECONDS
        while not fired.wait(0.1) and worker.alive() and time.monotonic() < deadline:
            pass
        if self.sink.trap.triggered.is_set():
            fired.wait(TRAP_SECONDS)  # the worker died of the action: let it finish
        self.sink.disarm()
        return self.sink.trap.caught if fired.is_set() else "-"

    def _kill_worker(self, moment: Moment | None) -> str:
        """SIGKILL the worker (when the sink is handed a message, at `moment`, if
        given and that happens soon), note the mail it held, start another."""
        worker = self._wait_for_worker()
        how = "at once"
        if moment is not None:
            caught = self._trap(worker, killer(worker.pid), moment)
            if caught != "-":
                how = f"{moment} the sink kept {caught or 'it'}"
            elif not worker.alive():
                return self._kill_worker(moment)  # it died on its own: try the next one
        at = self._now()
        code = worker.kill()
        # Before another worker claims anything: what the dead one held.
        held = self.peek.claimed_since(worker.started, LEASE)
        self.outcome.in_flight |= held
        self._start_worker()
        return f"{at:.1f}s {worker.name} {how} (exit {code}, {len(held)} mail in flight)"

    def _crash_db_while_sending(self) -> str:
        assert self.pg is not None
        pg = self.pg
        worker = self._wait_for_worker(busy=True)
        caught = self._trap(worker, lambda: pg.halt("immediate"), "after")
        if caught == "-":  # no mail in time: crash it anyway
            pg.halt("immediate")
        at = self._now()
        taken = worker.tasks()
        self.outcome.crashed_under = caught.strip("-")
        time.sleep(AWAY)
        pg.resume()
        away = self._now() - at
        self._recovered(worker, taken)
        return f"{at:.1f}s under {caught}: unreachable {away:.1f}s"

    def _recovered(self, worker: Worker, taken: int) -> None:
        """After a database fault: until the worker takes a new task (it lived
        through it) or exits (a death, noted by _supervise). One that does neither
        is hung: noted as a death, killed and replaced."""
        deadline = time.monotonic() + RECOVER_SECONDS
        while worker.alive() and worker.tasks() <= taken:
            if time.monotonic() > deadline:
                worker.kill()
                self.outcome.deaths.append(
                    f"{self._now():.1f}s {worker.name} hung: alive, but no task for "
                    f"{RECOVER_SECONDS:.0f}s after the database came back\n{worker.tail(15)}"
                )
                self._start_worker()
                return
            time.sleep(0.1)
        self._supervise()

    def _fault(self, what: str) -> None:
        """Inject one fault; note "<seconds into the load> <fault>: <details>"."""
        if what.startswith("kill-worker"):
            moment = what.removeprefix("kill-worker").removeprefix("-").removesuffix("-accept")
            done = self._kill_worker(moment or None)  # type: ignore[arg-type]
        elif what == "kill-web":
            pid, busy = self.web.busy_worker()
            done = f"{self._now():.1f}s pid {pid} ({'serving' if busy else 'idle'})"
            self.web.kill_a_worker(pid)
        elif what == "crash-db-while-sending":
            done = self._crash_db_while_sending()
        else:
            assert self.pg is not None and what == "restart-db-fast"
            worker = self._wait_for_worker(busy=True)
            taken = worker.tasks()
            started = self._now()
            away = self.pg.restart("fast", away=AWAY)
            done = f"{started:.1f}s unreachable {away:.1f}s"
            self._recovered(worker, taken)
        when, _, details = done.partition(" ")
        self.outcome.faults.append(f"{when} {what}: {details}")

    # -- the run --

    def run(self) -> Outcome:
        with ExitStack() as stack:
            self.sink = smtp = TrapSink()
            smtp.start()
            stack.callback(smtp.stop)
            if self.postgres:
                self.pg = stack.enter_context(Cluster())
                url = self.pg.url()
            else:
                url = f"sqlite:///{self.folder / 'helpline.sqlite3'}"
            self.peek = Peek(url)
            self.env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "helpline.tests.faults.settings",
                "DATABASE_URL": url,
                "HELPLINE_VAR_DIR": str(self.folder / "var"),
                "SECRET_KEY": "fault-test-" + "x" * 40,
                "SMTP_HOST": smtp.host,
                "SMTP_PORT": str(smtp.port),
                "SMTP_TIMEOUT": "2",
                "LOG_LEVEL": "WARNING",
                # Logs reach the file before a SIGKILL, and readiness is seen.
                "PYTHONUNBUFFERED": "1",
            }
            self.env.pop("PYTEST_ADDOPTS", None)
            prepared = time.monotonic()
            world = _site_script(self.env, "prepare")
            self.outcome.timings["prepare"] = time.monotonic() - prepared

            self.web = Web(self.env, self.logs, free_port())
            self.processes.append(self.web)
            stack.callback(self._stop_all)
            self._start_worker()
            self.web.wait_ready()
            self._wait_for_worker()

            load = Load(
                self.web.url,
                create_key=world["create_key"],
                reply_token=world["reply_token"],
                topic_id=world["topic_id"],
            )
            self.load_started = time.monotonic()
            load.start()
            try:
                steps = [s for s in STEPS if self.postgres or s not in DATABASE_STEPS]
                next_at = WARM_UP
                while steps or self._now() < next_at:
                    if steps and self._now() >= next_at:
                        self._fault(steps.pop(0))
                        next_at = self._now() + (GAP if steps else COOL_DOWN)
                    self._supervise()
                    if not self.web.alive():
                        raise RuntimeError("gunicorn's master died\n" + self.web.tail())
                    time.sleep(0.05)
            finally:
                load.stop()
            self.outcome.timings["load"] = self._now()
            self.outcome.sent = load.sent
            self.outcome.errors = load.errors

            settling = time.monotonic()
            self._settle(smtp)
            self.outcome.timings["settle"] = time.monotonic() - settling
            self._stop_all()
            self.outcome.received = Counter(m.header("Message-ID") for m in smtp.messages)
            probing = time.monotonic()
            self.outcome.state = _site_script(self.env, "probe")
            self.outcome.timings["probe"] = time.monotonic() - probing
        self.outcome.timings["total"] = time.monotonic() - self.started
        return self.outcome

    def _settle(self, smtp: TrapSink) -> None:
        """Until every outbox row is sent and received (or the time is up)."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            self._supervise()
            statuses = self.peek.outbox()
            waiting = sum(n for status, n in statuses.items() if status != "sent")
            if not waiting and len({m.header("Message-ID") for m in smtp.messages}) >= sum(
                statuses.values()
            ):
                return
            time.sleep(0.5)

    def _stop_all(self) -> None:
        if not self.processes:
            return
        for process in reversed(self.processes):
            process.stop()
        self.outcome.logs = "\n".join(p.tail() for p in self.processes if p.log.exists())
        self.processes.clear()
