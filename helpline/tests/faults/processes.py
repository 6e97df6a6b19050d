"""The real processes of a running Helpline, for the fault test: gunicorn (a master
and its web workers) and `helpline worker`, each started as `make run` starts
them, with the fault settings and an environment the test gives, writing to a log
file the test shows when something goes wrong."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def run_script(module: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run a test site's script (`python -m module args...`) in its own process,
    with the site's settings in `env`, and return the JSON it prints."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        name = module.rsplit(".", 1)[-1]
        raise RuntimeError(f"{name}.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


class Process:
    """One child process and its log."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.pid = self.process.pid
        self.started = datetime.now(UTC)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> int:
        """SIGKILL, and wait until it is gone; returns its exit status."""
        self.process.kill()
        return self.process.wait(timeout=30)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM (a clean stop), SIGKILL if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return f"--- {self.name} ({self.log}) ---\n" + "\n".join(text[-lines:])


class Web(Process):
    """gunicorn with gunicorn.conf.py and several web workers, so that one can be
    killed while the others serve; the master starts a new one in its place."""

    def __init__(self, env: dict[str, str], logs: Path, port: int, workers: int = 3) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        argv = [
            str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--no-control-socket", "--access-logfile", "-",
        ]  # fmt: skip
        super().__init__("gunicorn", argv, env, logs)
        self.workers = workers

    def worker_pids(self) -> list[int]:
        """The web workers' process ids (the master's children)."""
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every web worker is up and the site answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError("gunicorn exited\n" + self.tail())
            if len(self.worker_pids()) >= self.workers:
                try:
                    with urllib.request.urlopen(self.url + "/api/openapi.json", timeout=5):
                        return
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time\n" + self.tail())

    def busy_worker(self, within: float = 2.0, sample: float = 0.03) -> tuple[int, bool]:
        """A web worker seen using CPU (a sync worker that does is serving a
        request), looking for up to `within` seconds; else any. Returns its pid
        and whether it was seen busy."""
        deadline = time.monotonic() + within
        while True:
            before = {pid: _cpu(pid) for pid in self.worker_pids()}
            time.sleep(sample)
            used = {pid: _cpu(pid) - cpu for pid, cpu in before.items()}
            pid = max(used, key=lambda p: used[p])
            if used[pid] > 0 or time.monotonic() > deadline:
                return pid, used[pid] > 0

    def kill_a_worker(self, pid: int) -> None:
        """SIGKILL one web worker, whatever it is doing; the master replaces it."""
        os.kill(pid, signal.SIGKILL)


def _cpu(pid: int) -> int:
    """Clock ticks of CPU a process has used (utime + stime), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


class Worker(Process):
    """`helpline worker`: queued tasks (mail) and the periodic jobs (the outbox sweep)."""

    def __init__(self, env: dict[str, str], logs: Path, number: int) -> None:
        argv = [str(BIN / "helpline"), "worker", "--interval", "0.2", "--verbosity", "1"]
        super().__init__(f"worker-{number}", argv, env, logs)

    def ready(self) -> bool:
        """In its loop: django-tasks-db logs this line just before it."""
        return "Starting worker" in self.log.read_text(errors="replace")

    def tasks(self) -> int:
        """How many tasks it has taken (past its random start-up pause, it polls)."""
        return self.log.read_text(errors="replace").count("state=RUNNING")
