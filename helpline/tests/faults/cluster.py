"""A private PostgreSQL server for the fault test, in a temp folder on a free port.

The fault test restarts PostgreSQL in the middle of a load. It must never restart
the machine's shared server (other test runs and CI use it), so it gets a cluster
of its own: `initdb` into a temp folder, `pg_ctl start` on a free port of the
loopback with its socket in that folder, trust authentication, about two seconds.
As root the programs run as the `postgres` user (PostgreSQL refuses to run as
root); otherwise as whoever runs the tests.

    with Cluster() as pg:
        pg.url("helpline")           # postgres://postgres@127.0.0.1:PORT/helpline
        pg.restart(mode="fast")      # or "immediate": a crash, recovered from the WAL
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from types import TracebackType

from helpline.notify.tests.smtp import free_port


def _server_programs() -> Path:
    """Where initdb and pg_ctl are: HELPLINE_PG_BIN, else the newest of Debian's
    /usr/lib/postgresql/<version>/bin (the package `postgresql`, on every machine
    of ours; scripts/ensure-test-tools installs it for a PostgreSQL run)."""
    if folder := os.environ.get("HELPLINE_PG_BIN"):
        return Path(folder)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not found:
        raise RuntimeError(
            "The fault test starts a PostgreSQL server of its own and needs its programs "
            "(initdb, pg_ctl): install the Debian package postgresql, or set HELPLINE_PG_BIN."
        )
    return found[-1].parent


def _as_owner() -> list[str]:
    """The prefix that runs a program as the cluster's owner."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


class Cluster:
    def __init__(self) -> None:
        self.bin = _server_programs()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="helpline-faults-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgresql.log"
        self.restarts = 0
        self.options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=50"
        )

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*_as_owner(), str(self.bin / program), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            # Its own folder as working directory: the owner may not read ours.
            cwd=self.folder,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)}: {done.stdout}{done.stderr}\n{self.tail()}"
            )

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def start(self) -> Cluster:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.folder.chmod(0o700)
        # --no-sync and fsync=off: nothing here must survive a machine crash, only a
        # server restart or crash, which the operating system's cache outlives.
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self.options, "-w", "start"
        )
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "helpline")
        return self

    def url(self, name: str = "helpline") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def halt(self, mode: str = "fast") -> None:
        """Stop the server: `fast` disconnects everybody and checkpoints;
        `immediate` is a crash (no checkpoint; the next start recovers from the WAL)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def resume(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self.options, "-w", "start"
        )  # fmt: skip
        self.restarts += 1

    def restart(self, mode: str = "fast", away: float = 1.0) -> float:
        """Halt, stay down for `away` seconds, start again; returns how long the
        server was unreachable, in seconds."""
        started = time.monotonic()
        self.halt(mode)
        time.sleep(away)
        self.resume()
        return time.monotonic() - started

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with suppress(RuntimeError):
                self.halt("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Cluster:
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
