"""A throwaway Dovecot (IMAP and POP3) for the intake tests.

It runs from a config file in a temporary folder, on free high ports of 127.0.0.1,
as `nobody` when we are root (Dovecot refuses mail access as root; setpriv drops to
nobody), else as the current user, with plain-text logins, users in
a passwd-file and maildirs under the folder (recipe: shared ENVIRONMENT.md).
Each test takes one of the users made at start, so it starts with empty folders.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
HOST = "127.0.0.1"
USERS = 200
PASSWORD = "secret"

CONFIG = """\
listen = {host}
protocols = imap pop3
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests log in with a wrong password on purpose; do not make them wait for it.
auth_failure_delay = 0
first_valid_uid = 1
default_internal_user = {user}
default_login_user = {user}
default_internal_group = {group}
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/mail/%u
}}

service anvil {{
  chroot =
  # No auth penalty: after a failed login Dovecot would slow every later login from
  # 127.0.0.1 by seconds, and the tests fail logins on purpose.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    address: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Dovecot:
    """One running Dovecot. `start()` returns once both ports greet; `stop()` ends it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="helpline-dovecot-"))
        self.host = HOST
        self.imap_port = free_port()
        self.pop3_port = free_port()
        while self.pop3_port == self.imap_port:
            self.pop3_port = free_port()
        # As root (CI), Dovecot runs as nobody: it refuses to touch mail as root.
        # As anybody else, it runs as that user.
        self.as_root = os.geteuid() == 0
        self.user = "nobody" if self.as_root else pwd.getpwuid(os.getuid()).pw_name
        self.group = "nogroup" if self.as_root else grp.getgrgid(os.getgid()).gr_name
        self._numbers = itertools.count(1)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir()
        (self.root / "passwd").write_text(
            "".join(f"user{n}:{{PLAIN}}{PASSWORD}::::\n" for n in range(1, USERS + 1))
        )
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                host=HOST,
                imap_port=self.imap_port,
                pop3_port=self.pop3_port,
                user=self.user,
                group=self.group,
            )
        )
        command = [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")]
        if self.as_root:
            # The folder must belong to the user Dovecot runs as.
            subprocess.run(["chown", "-R", "nobody:nogroup", str(self.root)], check=True)
            setpriv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
            command = setpriv + command
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while not (self._greets(self.imap_port, b"* OK") and self._greets(self.pop3_port, b"+OK")):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Dovecot did not start:\n{self.log()}")
            time.sleep(0.05)

    @staticmethod
    def _greets(port: int, greeting: bytes) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                return s.recv(64).startswith(greeting)
        except OSError:
            return False

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    def add_user(self) -> Account:
        """A user of its own, with an empty mailbox, for each test. The users are all
        written at start: Dovecot re-reads its passwd-file at most once a second,
        so a user added while it runs may not log in yet."""
        number = next(self._numbers)
        if number > USERS:
            raise RuntimeError(f"Only {USERS} test users; raise USERS in {__file__}.")
        name = f"user{number}"
        return Account(username=name, password=PASSWORD, address=f"{name}@example.test")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
