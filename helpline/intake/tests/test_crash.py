"""Killing the fetch in the middle of a batch, then polling again, imports each
message exactly once: a real child process polls a real Dovecot and is SIGKILLed
between an import's commit and the move/delete on the server, or inside the
import's transaction; then this process polls again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from helpline.conftest import World
from helpline.intake.fetch import poll_mailbox
from helpline.intake.models import LedgerOutcome, Mailbox, ProcessedMessage
from helpline.intake.tests.conftest import imap_mailbox, pop3_mailbox
from helpline.intake.tests.dovecot import Account, Dovecot
from helpline.intake.tests.helpers import mail
from helpline.intake.tests.test_fetch import deliver, folder, pop3_count
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
SUBJECTS = [f"Message {n}" for n in range(1, 6)]


def poll_and_get_killed(mailbox: Mailbox, at: int, stage: str) -> None:
    env = {
        **os.environ,
        "HELPLINE_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "HL_TEST_MAILBOX_PASSWORD": "secret",
    }
    runner = [sys.executable, "-m", "helpline.intake.tests.poll_runner"]
    child = subprocess.run(
        [*runner, str(mailbox.pk), str(at), stage],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr


def tickets_per_subject() -> Counter[str]:
    return Counter(Ticket.objects.values_list("subject", flat=True))


def fetched_mailbox(world: World, dovecot: Dovecot, account: Account, protocol: str) -> Mailbox:
    make = imap_mailbox if protocol == "imap" else pop3_mailbox
    mailbox = make(world, dovecot, account, password_env="HL_TEST_MAILBOX_PASSWORD")
    deliver(dovecot, account, *(mail(subject=s, sender=f"c{i}@example.net")
                                 for i, s in enumerate(SUBJECTS)))  # fmt: skip
    return mailbox


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HL_TEST_MAILBOX_PASSWORD", "secret")


def test_killed_after_a_commit_before_the_move_each_imap_message_is_imported_once(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = fetched_mailbox(world, dovecot, account, "imap")

    poll_and_get_killed(mailbox, at=3, stage="after-commit")

    # Three imported, two of them moved; the third committed but still in the inbox.
    assert tickets_per_subject() == Counter(SUBJECTS[:3])
    assert (len(folder(dovecot, account)), len(folder(dovecot, account, "Archive"))) == (3, 2)

    result = poll_mailbox(mailbox)

    assert result.error == ""
    assert result.finished == 1  # the third: only moved now
    assert result.outcomes == {LedgerOutcome.TICKET: 2}
    assert tickets_per_subject() == Counter(SUBJECTS)
    assert (len(folder(dovecot, account)), len(folder(dovecot, account, "Archive"))) == (0, 5)
    assert ProcessedMessage.objects.filter(mailbox=mailbox).count() == 5


def test_killed_inside_an_import_the_message_is_imported_on_the_next_poll(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = fetched_mailbox(world, dovecot, account, "imap")

    poll_and_get_killed(mailbox, at=3, stage="before-commit")

    # The third message's ticket was written but never committed.
    assert tickets_per_subject() == Counter(SUBJECTS[:2])
    assert len(folder(dovecot, account)) == 3
    assert all(r"\Seen" not in flags for flags in folder(dovecot, account))

    result = poll_mailbox(mailbox)

    assert (result.finished, result.outcomes) == (0, {LedgerOutcome.TICKET: 3})
    assert tickets_per_subject() == Counter(SUBJECTS)
    assert len(folder(dovecot, account, "Archive")) == 5


def test_killed_in_a_pop3_batch_each_message_is_imported_once(
    world: World, dovecot: Dovecot, account: Account
) -> None:
    mailbox = fetched_mailbox(world, dovecot, account, "pop3")

    poll_and_get_killed(mailbox, at=3, stage="after-commit")

    # No QUIT reached the server, so not even the first two were deleted.
    assert tickets_per_subject() == Counter(SUBJECTS[:3])
    assert pop3_count(dovecot, account) == 5

    result = poll_mailbox(mailbox)

    assert (result.finished, result.outcomes) == (3, {LedgerOutcome.TICKET: 2})
    assert tickets_per_subject() == Counter(SUBJECTS)
    assert pop3_count(dovecot, account) == 0
