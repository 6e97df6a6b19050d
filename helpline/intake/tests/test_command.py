"""`helpline ingest-email`: one message on standard input, sysexits exit codes."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from helpline.conftest import World
from helpline.intake.models import Mailbox, QuarantinedMessage
from helpline.intake.tests.helpers import mail
from helpline.tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[3]


def run(raw: bytes, *args: str) -> str:
    out = io.StringIO()
    call_command("ingest_email", *args, stdin_bytes=io.BytesIO(raw), stdout=out)
    return out.getvalue()


def test_a_piped_message_becomes_a_ticket(world: World, support_mailbox: Mailbox) -> None:
    output = run(mail(subject="Piped"), "--mailbox", "SUPPORT@helpline.test")

    ticket = Ticket.objects.get()
    assert ticket.subject == "Piped" and ticket.department == world.support
    assert output.strip() == f"ticket #{ticket.number}"


def test_a_message_that_cannot_be_placed_is_stored_and_accepted(world: World) -> None:
    output = run(b"Subject: nobody sent this\r\n\r\nbody\r\n")

    assert output.startswith("quarantined: ")
    assert QuarantinedMessage.objects.count() == 1


@pytest.mark.parametrize("raw", [b"", b"  \r\n\r\n", b"\x89PNG\r\n\x1a\n\x00\x00binary"])
def test_empty_input_or_no_mail_at_all_is_rejected_as_malformed(db: None, raw: bytes) -> None:
    with pytest.raises(CommandError) as error:
        run(raw)

    assert error.value.returncode == 65
    assert not QuarantinedMessage.objects.exists()


def test_an_unknown_mailbox_is_a_temporary_failure(world: World) -> None:
    with pytest.raises(CommandError) as error:
        run(mail(), "--mailbox", "nobody@helpline.test")

    assert error.value.returncode == 75


def test_a_database_failure_is_a_temporary_failure(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("helpline.intake.management.commands.ingest_email.ingest_message", down)
    with pytest.raises(CommandError) as error:
        run(mail())

    assert error.value.returncode == 75
    assert "try again later" in str(error.value)


# --- as a mail server runs it ---------------------------------------------------------------


def helpline(
    args: list[str], env: dict[str, str], stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "helpline.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def test_the_command_line_exit_codes(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(HELPLINE_VAR_DIR=str(tmp_path), SECRET_KEY="ingest-email-test-secret-key")

    # Not migrated yet: the database cannot take the message, the mail server retries.
    assert helpline(["ingest-email"], env, mail()).returncode == 75

    # Migrated (a copy of a migrated database: migrating from nothing again would
    # cost more than the rest of the test), and `migrate` finds nothing left to do.
    shutil.copyfile(migrated_sqlite, tmp_path / migrated_sqlite.name)
    assert helpline(["migrate", "--verbosity", "0"], env).returncode == 0
    placed = helpline(["ingest-email"], env, mail())
    assert placed.returncode == 0, placed.stderr
    assert placed.stdout.startswith(b"quarantined: No department")  # stored either way
    assert helpline(["ingest_email"], env, b"").returncode == 65
    assert helpline(["ingest-email"], env, b"\x00\x01\x02 not mail").returncode == 65

    unreachable = {**env, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"}
    down = helpline(["ingest-email"], unreachable, mail())
    assert down.returncode == 75
    assert b"try again later" in down.stderr
