"""Real processes for the worker tests: a child whose output is read as it comes,
so that a test can wait for a line (the worker ready, a retry logged) and stop it
cleanly afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child that uses this test's database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpline.worker.tests.subprocess_settings",
        "HELPLINE_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        **extra,
    }


class Child:
    def __init__(self, args: list[str], env: dict[str, str], *, group: bool = False) -> None:
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=group,  # its own process group, to stop all it started
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    def worker(cls, *args: str, **env: str) -> Child:
        command = [sys.executable, "manage.py", "worker", "--no-scheduler", "--interval", "0.1"]
        return cls([*command, "--verbosity", "1", *args], child_env(**env))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace"))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60, *, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.output.count(text) < count:
            if self.process.poll() is not None:
                self._reader.join(timeout=5)
                if self.output.count(text) >= count:
                    return
                raise AssertionError(f"exited {self.process.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output}")
            time.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        return self.process.returncode
