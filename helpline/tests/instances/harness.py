"""One run of the instances test: two Helplines on one database, under one load.

    database   a temp SQLite file, or a database of its own on the suite's
               PostgreSQL server (made and dropped by the test)
    queue      the database queue, or RQ on a private Redis (`broker=True`), with
               the caches and sessions on another private Redis (redis.py)
    site       two gunicorns (one web worker each) and two `helpline worker`s,
               each worker with its scheduler; mail to a real SMTP server
    load       REST clients on each instance (helpline.tests.faults.load), an
               osTicket client and an agent at the desk taking turns between the
               two (clients.py); with the broker, the broker is stopped and
               started again (empty) in the middle of it
    settle     the load stops; the workers send what is left
    throttles  failed API authentications and failed sign-ins, sent to both
               instances in turn, until the limits refuse them
    probe      the processes stop; the database is read (site.py probe)

The test process never opens the site's database through Django: it holds
pytest-django's own.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from helpline.notify.tests.smtp import SMTPServer, free_port
from helpline.tests.faults.load import Load, Sent
from helpline.tests.faults.peek import Peek
from helpline.tests.faults.processes import BIN, Process, Web, run_script
from helpline.tests.instances.clients import Answer, DeskClient, OsTicketClient, sign_in
from helpline.tests.instances.redis import RedisServer

LOAD_SECONDS = 8.0
OUTAGE_AT = 2.5  # seconds into the load, with the broker
OUTAGE_SECONDS = 2.0
SETTLE_SECONDS = 60.0
READY_SECONDS = 60.0
# The limits the throttle checks reach, through both instances together.
API_FAILED_AUTH = 6
LOGIN_FAILURES_PER_ADDRESS = 8
RUNNING = re.compile(r"Task id=(\S+) path=(\S+) state=RUNNING")
SUCCEEDED = re.compile(r"Task id=(\S+) path=\S+ state=SUCCESSFUL")
# The database worker queues a task again that met a busy database (runner.py):
# a second start of it is a retry, not a duplicate.
RETRIED = re.compile(r"Task (\S+) met a database error")


@dataclass
class Outcome:
    broker: bool
    sent: list[Sent] = field(default_factory=list)  # the REST clients
    answers: list[Answer] = field(default_factory=list)  # osTicket and desk
    state: dict[str, Any] = field(default_factory=dict)  # site.py probe
    received: Counter[str] = field(default_factory=Counter)  # Message-ID -> copies
    runs: Counter[str] = field(default_factory=Counter)  # task id -> times started
    successes: Counter[str] = field(default_factory=Counter)  # task id -> times succeeded
    retried: set[str] = field(default_factory=set)  # ids requeued after a database error
    paths: Counter[str] = field(default_factory=Counter)  # task path -> runs
    per_worker: list[int] = field(default_factory=list)  # tasks each worker started
    exits: list[int] = field(default_factory=list)  # each worker's status on SIGTERM
    schedulers_seconds: float = 0.0  # from the first worker's start to the last's stop
    throttles: dict[str, list[int]] = field(default_factory=dict)
    outage: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    logs: str = ""


class Worker(Process):
    """`helpline worker` with its scheduler, quick to retry when the broker is away."""

    def __init__(self, env: dict[str, str], logs: Path, number: int, *args: str) -> None:
        argv = [
            str(BIN / "helpline"), "worker", "--interval", "0.2", "--verbosity", "1",
            "--retry-delay", "0.5", "--max-retry-delay", "2", *args,
        ]  # fmt: skip
        super().__init__(f"worker-{number}", argv, env, logs)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def ready(self) -> bool:
        return "Starting worker" in self.text()


def site_env(database_url: str, folder: Path) -> dict[str, str]:
    """The environment of the site's processes (a run adds the mail server and,
    with the broker, Redis)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpline.tests.instances.settings",
        "DATABASE_URL": database_url,
        "HELPLINE_VAR_DIR": str(folder / "var"),
        "SECRET_KEY": "instances-test-" + "x" * 40,
        "SMTP_TIMEOUT": "5",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        "HELPLINE_API_FAILED_AUTH_RATE": f"{API_FAILED_AUTH}/10m",
        "HELPLINE_LOGIN_FAILURES_PER_ADDRESS": f"{LOGIN_FAILURES_PER_ADDRESS}/15m",
    }
    for name in ("PYTEST_ADDOPTS", "HELPLINE_REDIS_URL", "HELPLINE_TASK_BROKER_URL"):
        env.pop(name, None)
    return env


def site_script(env: dict[str, str], job: str, *args: str) -> dict[str, Any]:
    return run_script("helpline.tests.instances.site", env, job, *args)


class Run:
    def __init__(
        self, folder: Path, database_url: str, world: dict[str, Any], *, broker: bool
    ) -> None:
        self.folder = folder
        self.database_url = database_url
        self.world = world  # site.py prepare's answer, for the database given
        self.broker = broker
        self.outcome = Outcome(broker=broker)
        self.processes: list[Process] = []
        self.workers: list[Worker] = []

    def run(self) -> Outcome:
        started = time.monotonic()
        world = self.world
        with ExitStack() as stack:
            smtp = SMTPServer().start()
            stack.callback(smtp.stop)
            env = site_env(self.database_url, self.folder)
            env["SMTP_HOST"], env["SMTP_PORT"] = smtp.host, str(smtp.port)
            queue: RedisServer | None = None
            if self.broker:
                cache = stack.enter_context(RedisServer())
                queue = stack.enter_context(RedisServer())
                env["HELPLINE_REDIS_URL"] = cache.url(0)
                env["HELPLINE_TASK_BROKER_URL"] = queue.url(0)

            stack.callback(self._stop_all)
            step = time.monotonic()
            webs = []
            for name in ("a", "b"):
                (self.folder / name).mkdir(exist_ok=True)
                webs.append(Web(env, self.folder / name, free_port(), workers=1))
            self.processes += webs
            first_scheduler = time.monotonic()
            self.workers = [Worker(env, self.folder, n) for n in (1, 2)]
            self.processes += self.workers
            for web in webs:
                web.wait_ready()
            self._wait_for_workers()
            together = time.monotonic()
            self.outcome.timings["start"] = together - step

            urls = [web.url for web in webs]
            loads = [
                Load(
                    url,
                    create_key=world["create_key"],
                    reply_token=world["reply_token"],
                    topic_id=world["topic_id"],
                    clients=2,
                    first_client=2 * n,
                )
                for n, url in enumerate(urls)
            ]
            osticket = OsTicketClient(urls, world["create_key"], world["topic_id"])
            desk = DeskClient(
                urls,
                world["agents"][0],
                world["password"],
                lambda: [s.number for load in loads for s in list(load.sent) if s.number],
            )
            step = time.monotonic()
            for load in loads:
                load.start()
            osticket.start()
            desk.start()
            try:
                if queue is not None:
                    time.sleep(OUTAGE_AT)
                    at = time.monotonic() - step
                    away = queue.restart(away=OUTAGE_SECONDS)
                    self.outcome.outage = f"{at:.1f}s: the broker away for {away:.1f}s"
                time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - step)))
            finally:
                for load in loads:
                    load.stop()
                osticket.stop()
                desk.stop()
            self.outcome.timings["load"] = time.monotonic() - step
            self.outcome.sent = [s for load in loads for s in load.sent]
            self.outcome.answers = osticket.answers + desk.answers

            step = time.monotonic()
            self._settle(Peek(self.database_url), smtp)
            self.outcome.timings["settle"] = time.monotonic() - step
            self.outcome.throttles = self._throttles(urls, world)

            self.outcome.exits = [worker.stop() for worker in self.workers]
            self.outcome.schedulers_seconds = time.monotonic() - first_scheduler
            self._stop_all()
            self.outcome.received = Counter(m.header("Message-ID") for m in smtp.messages)
            for worker in self.workers:
                started_here = RUNNING.findall(worker.text())
                self.outcome.per_worker.append(len(started_here))
                self.outcome.runs.update(task_id for task_id, _ in started_here)
                self.outcome.paths.update(path for _, path in started_here)
                self.outcome.successes.update(SUCCEEDED.findall(worker.text()))
                self.outcome.retried |= set(RETRIED.findall(worker.text()))
            self.outcome.state = site_script(env, "probe")
        self.outcome.timings["total"] = time.monotonic() - started
        return self.outcome

    def _wait_for_workers(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while not all(worker.ready() for worker in self.workers):
            for worker in self.workers:
                if not worker.alive():
                    raise RuntimeError(f"{worker.name} exited\n{worker.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start\n" + self._tails())
            time.sleep(0.1)

    def _settle(self, peek: Peek, smtp: SMTPServer) -> None:
        """Until every outbox row is sent and received (or the time is up)."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            statuses = peek.outbox()
            waiting = sum(n for status, n in statuses.items() if status != "sent")
            received = {m.header("Message-ID") for m in smtp.messages}
            if not waiting and len(received) >= sum(statuses.values()):
                return
            time.sleep(0.3)

    def _throttles(self, urls: list[str], world: dict[str, Any]) -> dict[str, list[int]]:
        """Each limit reached by requests sent to the two instances in turn."""
        api = [
            requests.get(
                f"{urls[n % 2]}/api/v1/tickets",
                headers={"Authorization": f"Bearer not-a-key-{n}"},
                timeout=30,
            ).status_code
            for n in range(API_FAILED_AUTH + 2)
        ]
        password = world["password"]
        lockout = [
            sign_in(requests.Session(), urls[n % 2], world["agents"][1], "wrong") for n in range(5)
        ]
        lockout += [sign_in(requests.Session(), url, world["agents"][1], password) for url in urls]
        spray = [
            sign_in(requests.Session(), urls[n % 2], f"nobody{n}", "wrong")
            for n in range(LOGIN_FAILURES_PER_ADDRESS)
        ]
        spray += [sign_in(requests.Session(), url, world["agents"][0], password) for url in urls]
        return {"api": api, "lockout": lockout, "spray": spray}

    def _tails(self) -> str:
        return "\n".join(p.tail() for p in self.processes if p.log.exists())

    def _stop_all(self) -> None:
        if not self.processes:
            return
        for process in reversed(self.processes):
            process.stop()
        self.outcome.logs = self._tails()
        self.processes.clear()
