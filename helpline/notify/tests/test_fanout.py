"""The fan-out in the worker (helpline.notify.fanout): a change records a batch; the
worker plans, renders and writes its mail once, in order per ticket, even with two
workers at it, and sends it over one SMTP connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django_tasks_db.models import DBTaskResult

from helpline.conftest import World
from helpline.notify import fanout
from helpline.notify.fanout import FanOutResult, fan_out
from helpline.notify.models import MailBatch, MailKind, OutboundMessage, OutboundStatus
from helpline.notify.sending import SendResult, deliver_many
from helpline.notify.tasks import send_due_mail
from helpline.notify.tests.helpers import fan_out_pending, run_worker
from helpline.notify.tests.smtp import SMTPServer
from helpline.tickets import lifecycle
from helpline.tickets.models import EventKind


def test_a_change_writes_one_small_batch_and_no_mail(world: World) -> None:
    ticket = world.open()

    [batch] = MailBatch.objects.all()
    assert batch.ticket_id == ticket.pk
    kinds = list(ticket.events.filter(pk__in=batch.events).values_list("kind", flat=True))
    assert EventKind.CREATED in kinds
    assert batch.state["department_id"] == world.support.pk
    assert not OutboundMessage.objects.exists()


def test_a_change_that_can_mail_nobody_writes_no_batch(world: World) -> None:
    ticket = world.open()
    fan_out_pending()

    lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Internal.</p>")

    assert not MailBatch.objects.exists()


def test_the_fan_out_plans_with_the_ticket_as_the_change_left_it(world: World) -> None:
    """Opened in Support, moved to Sales before the worker came to it: the new-ticket
    alert still goes to Support's agents (Sales hears through the transfer)."""
    ticket = world.open()
    lifecycle.transfer(ticket, actor=world.admin, department=world.sales)

    fan_out_pending()

    alerts = OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.NEW_TICKET_ALERT)
    assert sorted(a for m in alerts for a in m.to) == [
        "Alice Agent <alice.agent@example.com>",
        "Sam Super <sam.super@example.com>",
    ]
    [transfer] = OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.TRANSFER_ALERT)
    assert transfer.to == ["Bob Sales <bob.sales@example.com>"]


def test_fanning_out_a_batch_twice_writes_its_mail_once(world: World) -> None:
    world.open()
    [batch] = MailBatch.objects.all()

    assert fan_out(batch.pk) == FanOutResult.DONE
    assert fan_out(batch.pk) == FanOutResult.SKIPPED
    assert OutboundMessage.objects.count() == 3


def test_a_failing_fan_out_is_retried_later_then_kept_with_its_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.open()
    [batch] = MailBatch.objects.all()

    def broken(batch: MailBatch) -> list[OutboundMessage]:
        raise ValueError("a broken variable")

    monkeypatch.setattr(fanout, "render", broken)
    assert fan_out(batch.pk) == FanOutResult.RETRY
    batch.refresh_from_db()
    assert batch.attempts == 1 and "ValueError: a broken variable" in batch.last_error
    assert batch.next_attempt_at is not None
    assert fan_out(batch.pk) == FanOutResult.WAITING  # not due yet

    MailBatch.objects.update(attempts=4, next_attempt_at=batch.created_at)
    assert fan_out(batch.pk) == FanOutResult.FAILED
    batch.refresh_from_db()
    assert (batch.attempts, batch.next_attempt_at) == (5, None)
    monkeypatch.undo()
    assert fan_out(batch.pk) == FanOutResult.SKIPPED  # failed for good: left visible
    assert not OutboundMessage.objects.exists()


def test_a_failure_another_worker_recorded_first_is_not_recorded_or_retried_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.open()
    [batch] = MailBatch.objects.all()

    def broken(batch: MailBatch) -> list[OutboundMessage]:
        # Meanwhile another worker failed on it too, and recorded it first.
        MailBatch.objects.filter(pk=batch.pk).update(attempts=1, last_error="theirs")
        raise ValueError("a broken variable")

    monkeypatch.setattr(fanout, "render", broken)
    queued = DBTaskResult.objects.count()

    assert fan_out(batch.pk) == FanOutResult.SKIPPED

    batch.refresh_from_db()
    assert (batch.attempts, batch.last_error) == (1, "theirs")
    assert DBTaskResult.objects.count() == queued  # no second retry task


def test_a_batch_never_tried_is_fanned_out_even_if_its_time_is_ahead_of_the_workers(
    world: World,
) -> None:
    """Its time is the web server's clock; a worker whose clock runs a little
    behind must not leave the mail to the sweep, a minute later."""
    world.open()
    [batch] = MailBatch.objects.all()
    assert batch.next_attempt_at is not None
    MailBatch.objects.update(next_attempt_at=batch.next_attempt_at + timedelta(seconds=2))

    assert fan_out(batch.pk) == FanOutResult.DONE
    assert OutboundMessage.objects.exists()


def test_the_fan_out_task_runs_a_pinned_number_of_statements(
    world: World, django_assert_num_queries: Callable[..., Any]
) -> None:
    """The batch with its ticket, the events, our own addresses, the quoted entry,
    the department's agents, the templates, the ticket's earlier mail; then the
    claim (savepoint, DELETE, bulk INSERT, release)."""
    world.open()
    [batch] = MailBatch.objects.all()

    with django_assert_num_queries(11):
        assert fan_out(batch.pk) == FanOutResult.DONE
    assert OutboundMessage.objects.count() == 3


# --- with the real worker and real transactions ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_lost_fan_out_task_is_recovered_by_the_sweep(
    world: World, smtp_server: SMTPServer
) -> None:
    ticket = world.open()
    DBTaskResult.objects.filter(task_path="helpline.notify.tasks.fan_out_mail").delete()
    run_worker()
    assert smtp_server.messages == [] and MailBatch.objects.count() == 1

    assert send_due_mail.call() == {"fan_out_done": 1, SendResult.SENT: 3}

    assert len(smtp_server.messages) == 3
    assert not MailBatch.objects.exists()
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {OutboundStatus.SENT}
    assert smtp_server.to("ken@example.com")[0].header("Subject").startswith(f"[#{ticket.number}]")


@pytest.mark.django_db(transaction=True)
def test_the_mail_of_one_change_goes_out_over_one_smtp_connection(
    world: World, smtp_server: SMTPServer
) -> None:
    world.open()

    run_worker()  # the fan-out, then the send task it queued

    assert len(smtp_server.messages) == 3
    assert smtp_server.connections == 1
    assert DBTaskResult.objects.filter(task_path__endswith=".send_outbound_batch").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_reconnects_after_its_connection_is_closed_and_sends_the_rest(
    world: World, smtp_server: SMTPServer
) -> None:
    world.open()
    fan_out_pending()
    ids = list(OutboundMessage.objects.order_by("pk").values_list("pk", flat=True))
    # 421: the server is closing the connection (smtplib closes it too); try later.
    smtp_server.refuse_next(1, "421 4.3.2 Service shutting down")

    assert deliver_many(ids) == [SendResult.RETRY, SendResult.SENT, SendResult.SENT]

    first = OutboundMessage.objects.get(pk=ids[0])
    assert first.status == OutboundStatus.PENDING and "421" in first.last_error
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 2


@pytest.mark.django_db(transaction=True)
def test_a_refused_message_does_not_stop_the_rest_of_its_batch(
    world: World, smtp_server: SMTPServer
) -> None:
    world.open()
    fan_out_pending()
    ids = list(OutboundMessage.objects.order_by("pk").values_list("pk", flat=True))
    smtp_server.refuse_next(1, "554 5.7.1 Rejected as spam")

    assert deliver_many(ids) == [SendResult.FAILED, SendResult.SENT, SendResult.SENT]
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 2  # closed after the error, opened for the rest


def _in_threads(*calls: Callable[[], str]) -> list[str]:
    """Run each call in a thread of its own, with its own database connection."""
    results: list[str] = [""] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], str]) -> None:
        try:
            results[index] = call()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, c), name="ABCDEFGH"[i]) for i, c in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def _render_together(monkeypatch: pytest.MonkeyPatch, batch_id: int) -> None:
    """Both workers render `batch_id` before either claims it: the race at its worst."""
    barrier = threading.Barrier(2, timeout=20)
    real = fanout.render

    def render(batch: MailBatch) -> list[OutboundMessage]:
        messages = real(batch)
        if batch.pk == batch_id:
            barrier.wait()
        return messages

    monkeypatch.setattr(fanout, "render", render)


@pytest.mark.django_db(transaction=True)
def test_two_workers_fanning_out_one_batch_write_each_mail_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.open()
    [batch] = MailBatch.objects.all()
    _render_together(monkeypatch, batch.pk)

    results = _in_threads(lambda: fan_out(batch.pk), lambda: fan_out(batch.pk))

    assert sorted(results) == [FanOutResult.DONE, FanOutResult.SKIPPED]
    assert OutboundMessage.objects.count() == 3
    assert DBTaskResult.objects.filter(task_path__endswith=".send_outbound_batch").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_two_changes_of_one_ticket_keep_the_thread_in_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The autoresponse (batch 1) and the agent's reply (batch 2), fanned out by two
    workers at once, the first one slow: the reply still answers the autoresponse,
    because the second worker fans out the ticket's older batch first and reads the
    thread after it. (Fanning out batch 2 straight away, it finds no earlier mail.)"""
    ticket = world.open()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Unplug it.</p>")
    first, second = MailBatch.objects.order_by("pk")
    second_done = threading.Event()
    real = fanout.render

    def render(batch: MailBatch) -> list[OutboundMessage]:
        messages = real(batch)
        if batch.pk == first.pk and threading.current_thread().name == "A":
            second_done.wait(timeout=20)  # worker A rendered batch 1, and stalls
        return messages

    def worker_b() -> str:
        try:
            return fan_out(second.pk)
        finally:
            second_done.set()

    monkeypatch.setattr(fanout, "render", render)
    results = _in_threads(lambda: fan_out(first.pk), worker_b)

    assert results == [FanOutResult.SKIPPED, FanOutResult.DONE]  # B did both, in order
    autoresponse = OutboundMessage.objects.get(kind=MailKind.AUTORESPONSE)
    reply = OutboundMessage.objects.get(kind=MailKind.REPLY)
    assert reply.in_reply_to == autoresponse.message_id
    assert reply.references == autoresponse.message_id
    assert OutboundMessage.objects.count() == 4  # autoresponse, 2 alerts, the reply
    assert not MailBatch.objects.exists()
