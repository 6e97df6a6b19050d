"""django-helpdesk 2.6.1, the peer Helpline is compared with (issue 11).

Installed from PyPI by the bench into its own venv, bench/.work/helpdesk-venv
(git-ignored; nothing of django-helpdesk is committed), with the newest Django its
2.6.1 release declares (6.0). Its project is bench/helpdesk/site: SQLite, the DRF
API with a token, mail to the same SMTP sink as Helpline's, served by gunicorn with
as many workers as Helpline's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.measure import Load
from bench.servers import WORK, BenchBroken, run, stop, wait_until_up
from bench.sink import Sink, free_port

SITE = Path(__file__).resolve().parent / "site"
VENV = WORK / "helpdesk-venv"
REQUIREMENTS = ["django-helpdesk==2.6.1", "django>=6.0,<6.1", "gunicorn>=23"]


def ensure_venv() -> Path:
    """The venv with django-helpdesk, made once (a stamp names what it holds)."""
    stamp = VENV / "bench-requirements.txt"
    wanted = "\n".join(REQUIREMENTS)
    if stamp.exists() and stamp.read_text() == wanted:
        return VENV
    shutil.rmtree(VENV, ignore_errors=True)
    # The interpreter Helpline's venv was made from (not the venv itself).
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run(
        [*pip, *REQUIREMENTS],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchBroken(f"installing django-helpdesk failed:\n{done.stderr[-3000:]}")
    stamp.write_text(wanted)
    return VENV


@dataclass
class Helpdesk:
    label: str
    web_workers: int = 4
    port: int = 0
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def var(self) -> Path:
        return WORK / f"helpdesk-{self.label}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, smtp_port: int = 0) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="settings",
            PYTHONPATH=str(SITE),
            HELPDESK_DB=str(self.var / "db.sqlite3"),
            SMTP_PORT=str(smtp_port or 25),
        )
        return env

    def prepare(self, tickets: int) -> dict[str, Any]:
        """A fresh database: migrated, then filled in bulk (bench/helpdesk/site/fill.py)."""
        ensure_venv()
        shutil.rmtree(self.var, ignore_errors=True)
        self.var.mkdir(parents=True)
        python = str(VENV / "bin" / "python")
        log = self.var / "bench.log"
        run([python, "-m", "django", "migrate", "--noinput"], self.env(), log=log)
        out = run([python, str(SITE / "fill.py"), str(tickets)], self.env(), log=log)
        return dict(json.loads(out.strip().splitlines()[-1]))

    @contextmanager
    def serving(self, smtp_port: int) -> Iterator[Helpdesk]:
        self.port = free_port()
        log = self.var / "bench.log"
        out = log.open("ab")
        try:
            self.procs.append(
                subprocess.Popen(
                    [
                        str(VENV / "bin" / "gunicorn"),
                        "wsgi:application",
                        "--chdir",
                        str(SITE),
                        "--bind",
                        f"127.0.0.1:{self.port}",
                        "--workers",
                        str(self.web_workers),
                        "--timeout",
                        "300",
                        "--no-control-socket",
                    ],
                    env=self.env(smtp_port),
                    stdout=out,
                    stderr=out,
                )
            )
            wait_until_up(f"{self.url}/login/", self.procs, log)
            yield self
        finally:
            stop(self.procs)
            self.procs.clear()
            out.close()

    def open_load(
        self, sink: Sink, clients: int, seconds: float, info: dict[str, Any]
    ) -> dict[str, Any]:
        """Tickets opened through its API for `seconds`; its mail goes out inside
        each request (django-helpdesk sends it there), so every answer already
        counts its mail."""
        headers = {"Authorization": f"Token {info['token']}"}

        def request(client: httpx.Client, n: int) -> httpx.Response:
            return client.post(
                "/api/tickets/",
                headers=headers,
                json={
                    "queue": info["queue_id"],
                    "title": f"Outage report {n}",
                    "description": "The order system is down again; nothing works since 9:00.",
                    "submitter_email": f"load{n % 500}@customers.example",
                    "priority": 3,
                },
            )

        before = sink.snapshot()
        result = Load(clients, seconds).run(self.url, request)
        result["mails_sent"] = sink.snapshot().recipients - before.recipients
        return result

    def drop(self) -> None:
        shutil.rmtree(self.var, ignore_errors=True)
