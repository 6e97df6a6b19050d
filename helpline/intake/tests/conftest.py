"""Fixtures of the intake tests: a real Dovecot for the whole session, mailboxes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpline.conftest import World
from helpline.intake.models import Mailbox
from helpline.intake.tests.dovecot import Account, Dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot (IMAP and POP3) for the session; each test takes its own user."""
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def account(dovecot: Dovecot) -> Account:
    return dovecot.add_user()


@pytest.fixture
def support_mailbox(world: World) -> Mailbox:
    """support@helpline.test, piped into Support (no server to fetch from)."""
    return Mailbox.objects.create(
        department=world.support,
        address="support@helpline.test",
        protocol=Mailbox.Protocol.PIPE,
    )


def imap_mailbox(world: World, dovecot: Dovecot, account: Account, **fields: object) -> Mailbox:
    """A mailbox reading `account` over plain IMAP from the test Dovecot."""
    values: dict[str, object] = {
        "department": world.support,
        "address": account.address,
        "protocol": Mailbox.Protocol.IMAP,
        "host": dovecot.host,
        "port": dovecot.imap_port,
        "security": Mailbox.Security.NONE,
        "username": account.username,
        **fields,
    }
    mailbox = Mailbox(**values)
    mailbox.set_password(account.password)
    mailbox.save()
    return mailbox


def pop3_mailbox(world: World, dovecot: Dovecot, account: Account, **fields: object) -> Mailbox:
    return imap_mailbox(
        world,
        dovecot,
        account,
        **{
            "protocol": Mailbox.Protocol.POP3,
            "port": dovecot.pop3_port,
            "after_import": Mailbox.AfterImport.DELETE,
            **fields,
        },
    )
