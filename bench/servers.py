"""Real server processes for the bench: Helpline's gunicorn and `helpline worker`,
each database made once from a migrated template, everything under bench/.work/
(git-ignored), logs included."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.sink import free_port

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_WORK", ROOT / "bench" / ".work"))
VENV_BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_PREFIX = os.environ.get("BENCH_PG_PREFIX", "helpline_bench")


class BenchBroken(RuntimeError):
    """The benchmark itself failed (a server did not start, a page answered 500):
    the one way a bench run fails. A slow figure never does."""


def run(cmd: list[str], env: dict[str, str], *, log: Path | None = None) -> str:
    """Run a command to its end; its stdout, or BenchBroken with its stderr."""
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if log is not None:
        with log.open("a") as out:
            out.write(f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise BenchBroken(f"{' '.join(cmd)} exited with {done.returncode}:\n{done.stderr[-4000:]}")
    return done.stdout


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


@dataclass
class Helpline:
    """One Helpline installation of the bench: a database, a var folder, servers."""

    engine: str  # "sqlite" or "postgresql"
    label: str  # e.g. "10000"
    web_workers: int = 4
    port: int = 0
    smtp_port: int = 0
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def var(self) -> Path:
        return WORK / f"helpline-{self.engine}-{self.label}"

    @property
    def database(self) -> str:
        return f"{PG_PREFIX}_{self.label}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.var / "bench.log"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HELPLINE_", "SMTP_", "DATABASE_URL", "PYTEST", "DJANGO_"))
        }
        env.update(
            HELPLINE_VAR_DIR=str(self.var),
            SECRET_KEY="bench-only-secret-key-not-for-production-0123456789",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            HELPLINE_BENCH_TIMING="1",
            LOG_LEVEL="WARNING",
            # The load opens far more tickets per key and address than any limit
            # lets a real client: the bench measures the work, not the throttle.
            HELPLINE_API_CREATE_RATE="",
            HELPLINE_API_RATE_PER_KEY="",
            HELPLINE_API_RATE_PER_ADDRESS="",
            AXES_ENABLED="0",
            HELPLINE_BASE_URL="http://127.0.0.1:8000",
            PYTHONDONTWRITEBYTECODE="",
        )
        if self.engine == "postgresql":
            env["DATABASE_URL"] = f"{PG_SERVER}/{self.database}"
        if self.smtp_port:
            env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(self.smtp_port))
        if self.port:
            env["PORT"] = str(self.port)
        return env

    def helpline(self, *args: str) -> str:
        return run([str(VENV_BIN / "helpline"), *args], self.env(), log=self.log)

    def side(self, *args: str) -> dict[str, Any]:
        """One step of bench/helpline_side.py, its JSON answer."""
        out = run(
            [sys.executable, str(ROOT / "bench" / "helpline_side.py"), *args],
            self.env(),
            log=self.log,
        )
        return dict(json.loads(out.strip().splitlines()[-1]))

    # --- the database ---------------------------------------------------------------

    def create_from(self, template: Helpline) -> None:
        """A fresh database, a copy of the migrated template (and its static files)."""
        shutil.rmtree(self.var, ignore_errors=True)
        self.var.mkdir(parents=True)
        (self.var / "static").symlink_to(template.var / "static")
        if self.engine == "sqlite":
            shutil.copy(template.var / "helpline.sqlite3", self.var / "helpline.sqlite3")
        else:
            _psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            _psql(f'CREATE DATABASE "{self.database}" TEMPLATE "{template.database}"')

    def make_template(self) -> None:
        """Migrate an empty database once per run; each size starts from a copy."""
        shutil.rmtree(self.var, ignore_errors=True)
        self.var.mkdir(parents=True)
        if self.engine == "postgresql":
            _psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            _psql(f'CREATE DATABASE "{self.database}"')
        self.side("template")

    def drop(self) -> None:
        if self.engine == "postgresql":
            _psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        shutil.rmtree(self.var, ignore_errors=True)

    # --- the servers ----------------------------------------------------------------

    @contextmanager
    def serving(self, smtp_port: int) -> Iterator[Helpline]:
        self.port = free_port()
        self.smtp_port = smtp_port
        env = self.env()
        out = self.log.open("ab")
        try:
            self.procs.append(
                subprocess.Popen(
                    [
                        str(VENV_BIN / "gunicorn"),
                        "-c",
                        "gunicorn.conf.py",
                        "--bind",
                        f"127.0.0.1:{self.port}",
                        "--workers",
                        str(self.web_workers),
                        # Never recycled during the run: the memory figures are
                        # what a process grows to, not what a fresh one holds.
                        "--max-requests",
                        "0",
                        "--no-control-socket",
                        "--access-logfile",
                        "/dev/null",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=out,
                )
            )
            self.procs.append(
                subprocess.Popen(
                    [str(VENV_BIN / "helpline"), "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=out,
                )
            )
            wait_until_up(f"{self.url}/healthz", self.procs, self.log)
            yield self
        finally:
            stop(self.procs)
            self.procs.clear()
            out.close()

    def web_pids(self) -> list[int]:
        """The gunicorn workers (children of the master)."""
        master = self.procs[0].pid
        children = Path(f"/proc/{master}/task/{master}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []


def rss_mb(pid: int) -> float | None:
    """A process's resident memory (VmRSS) in MB, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def wait_until_up(url: str, procs: list[subprocess.Popen[bytes]], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise BenchBroken(f"{proc.args} exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise BenchBroken(f"{url} did not answer within 90 s; see {log}")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each process we started, SIGKILL to any still there after 20 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
