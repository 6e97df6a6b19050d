"""The moment after the mail server took a message and before the outbox row says
so: the one moment where a fault can make a mail go out twice (helpline.notify.
models). These tests hurt the sender exactly there, on a real SMTP server
(aiosmtpd) and the suite's real database, SQLite or PostgreSQL; the fault test
(helpline/tests/faults/) does it to real processes under load."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from helpline.conftest import World
from helpline.notify.models import MailKind, OutboundMessage, OutboundStatus
from helpline.notify.sending import SendResult, deliver, lease, send_due
from helpline.notify.tests.helpers import fan_out_pending
from helpline.notify.tests.smtp import SMTPServer, _Collector

pytestmark = pytest.mark.django_db(transaction=True)
POSTGRES = connection.vendor == "postgresql"
AWAY_SECONDS = 0.6


class _Hooked(_Collector):
    """Runs `on_data` (after keeping the message, before answering 250) and
    `on_quit` in a thread of their own, where blocking calls are fine."""

    on_data: Callable[[], None] | None = None
    on_quit: Callable[[], None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.on_data is not None:
            await asyncio.to_thread(self.on_data)
        return answer

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_quit is not None:
            await asyncio.to_thread(self.on_quit)
        return "221 Bye"


@pytest.fixture
def hooked(settings: Any) -> Iterator[tuple[SMTPServer, _Hooked]]:
    server = SMTPServer()
    server._handler = handler = _Hooked()
    server.start()
    settings.MAILERS = server.mailer_settings()
    settings.EMAIL_CONFIGURED = True
    yield server, handler
    server.stop()


def autoresponse(world: World) -> OutboundMessage:
    world.open()
    fan_out_pending()
    return OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)


def status_of(pk: int) -> str:
    """Read from another connection, in whatever thread this runs."""
    try:
        return OutboundMessage.objects.get(pk=pk).status
    finally:
        connection.close()


class DatabaseAway:
    """Takes the database away from this test's connection for AWAY_SECONDS, from
    another thread, the way production loses it:

    - PostgreSQL: the connection is cut (`pg_terminate_backend`, as a server
      restart cuts every connection) and new connections are refused until the
      time is up (the server still starting);
    - SQLite: another process holds the write lock, longer than the sender's busy
      timeout (lowered here to 0.1 s from 20 so the test takes a second, not half
      a minute; a lock held for minutes is issue 9's hostile mail)."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.backend = connection.connection.info.backend_pid if POSTGRES else 0
        self.back = threading.Event()
        self.thread: threading.Thread | None = None
        if not POSTGRES:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 100")

    def __call__(self) -> None:
        """Take it away, then return (the sender hears 250) while it stays away."""
        gone = threading.Event()
        self.thread = threading.Thread(target=self._away, args=(gone,), daemon=True)
        self.thread.start()
        assert gone.wait(10), "could not take the database away"

    def give_back(self) -> None:
        self.back.set()
        if self.thread is not None:
            self.thread.join(10)
        connection.close()  # and with it the lowered busy timeout

    def _away(self, gone: threading.Event) -> None:
        if POSTGRES:
            import psycopg

            db = connection.settings_dict
            name = db["NAME"]
            # From the maintenance database: a database cannot refuse its own.
            with psycopg.connect(
                dbname="postgres",
                host=db["HOST"] or None,
                port=db["PORT"] or None,
                user=db["USER"] or None,
                password=db["PASSWORD"] or None,
                autocommit=True,
            ) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                admin.execute("SELECT pg_terminate_backend(%s)", [self.backend])
                gone.set()
                self.back.wait(AWAY_SECONDS)
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            return
        holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=5)
        holder.execute("BEGIN IMMEDIATE")
        gone.set()
        self.back.wait(AWAY_SECONDS)
        holder.rollback()
        holder.close()


@pytest.fixture
def away(world: World) -> Iterator[DatabaseAway]:
    """A DatabaseAway for this test's connection, given back whatever happens."""
    away = DatabaseAway()
    yield away
    away.give_back()


def test_a_mail_sent_while_the_database_goes_away_is_recorded_once_it_is_back(
    world: World, hooked: tuple[SMTPServer, _Hooked], away: DatabaseAway
) -> None:
    server, handler = hooked
    mail = autoresponse(world)
    handler.on_data = away

    assert deliver(mail.pk) == SendResult.SENT

    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.next_attempt_at) == (OutboundStatus.SENT, 1, None)
    away.give_back()
    # Once the lease would have run out, nothing sends it again.
    with time_machine.travel(timezone.now() + lease() + timedelta(minutes=1)):
        send_due()
    assert len(server.to("ken@example.com")) == 1


def test_a_database_away_longer_than_the_lease_leaves_the_mail_to_be_sent_again(
    world: World, hooked: tuple[SMTPServer, _Hooked], away: DatabaseAway, settings: Any
) -> None:
    """The sender gives up when its lease ends: past it, another sender may have
    taken the message, so it stops waiting and the mail stays `sending` until the
    sweep takes it up (sent twice: the case SMTP leaves no way around)."""
    server, handler = hooked
    settings.HELPLINE_OUTBOX_LEASE_SECONDS = 0.3
    mail = autoresponse(world)
    handler.on_data = away

    with pytest.raises((OperationalError, InterfaceError)):
        deliver(mail.pk)
    away.give_back()

    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (OutboundStatus.SENDING, 1)
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        assert deliver(mail.pk) == SendResult.SENT
    assert len(server.to("ken@example.com")) == 2


def test_a_mail_is_recorded_as_sent_before_the_sender_says_goodbye(
    world: World, hooked: tuple[SMTPServer, _Hooked]
) -> None:
    """A sender killed while it quits (or while a slow server answers QUIT) must
    not leave a mail the server already took looking unsent."""
    _, handler = hooked
    mail = autoresponse(world)
    seen: list[str] = []
    handler.on_quit = lambda: seen.append(status_of(mail.pk))

    assert deliver(mail.pk) == SendResult.SENT

    assert seen == [OutboundStatus.SENT]
