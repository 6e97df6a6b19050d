"""A private Redis server for the instances test, in a temp folder on a free port.

The test stops and starts the broker in the middle of a load, and counts what
reaches it: it must never touch the machine's shared server (other test runs and
services use it), so it runs `redis-server` (the Debian package `redis-server`,
on every machine of ours; scripts/ensure-test-tools installs it) on the loopback,
keeping nothing on disk, as a Redis that lost its data on a restart would.

    with RedisServer() as server:
        server.url(1)                # redis://127.0.0.1:PORT/1
        server.restart(away=2.0)     # down for two seconds, empty when back
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from helpline.notify.tests.smtp import free_port

PROGRAM = "redis-server"


class RedisServer:
    def __init__(self) -> None:
        program = shutil.which(PROGRAM) or "/usr/bin/redis-server"
        if not Path(program).exists():
            raise RuntimeError(
                "The instances test starts a Redis server of its own: install the "
                "Debian package redis-server (scripts/ensure-test-tools does)."
            )
        self.program = program
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="helpline-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        log = (self.folder / "redis.log").open("ab")
        argv = [self.program, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self.tail()}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, away: float = 2.0) -> float:
        """Stop, stay down `away` seconds, start again (empty); returns how long it
        was unreachable."""
        started = time.monotonic()
        self.stop()
        time.sleep(away)
        self.start()
        return time.monotonic() - started

    def tail(self, lines: int = 20) -> str:
        try:
            text = (self.folder / "redis.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> RedisServer:
        try:
            return self.start()
        except BaseException:
            self.destroy()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.destroy()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
