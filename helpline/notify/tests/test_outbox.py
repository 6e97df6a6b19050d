"""Which changes queue which mail, to whom: the outbox rows written with each change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from helpline.accounts.models import Customer, Role
from helpline.conftest import World, make_agent, make_customer
from helpline.lib.mailids import ticket_number_from_ids
from helpline.notify import addresses
from helpline.notify.addresses import add_own_address_source, own_addresses
from helpline.notify.fanout import FanOutResult, fan_out
from helpline.notify.lookup import ticket_for_message_ids
from helpline.notify.models import MailBatch, MailKind, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.tickets import lifecycle
from helpline.tickets.models import Ticket


def queued(ticket: Ticket, kind: MailKind | None = None) -> list[OutboundMessage]:
    fan_out_pending()
    rows = OutboundMessage.objects.filter(ticket=ticket).order_by("pk")
    return list(rows.filter(kind=kind) if kind else rows)


def recipients(ticket: Ticket, kind: MailKind) -> list[str]:
    return sorted(address for m in queued(ticket, kind) for address in m.to + m.cc)


def test_opening_a_ticket_queues_the_autoresponse_and_the_alerts_with_the_change(
    world: World,
) -> None:
    ticket = world.open()

    assert recipients(ticket, MailKind.AUTORESPONSE) == ["Ken Adams <ken@example.com>"]
    assert recipients(ticket, MailKind.NEW_TICKET_ALERT) == [
        "Alice Agent <alice.agent@example.com>",
        "Sam Super <sam.super@example.com>",
    ]
    for mail in queued(ticket):
        assert ticket_number_from_ids(mail.message_id) == ticket.number
        assert mail.event is not None and mail.event.kind == "created"
    assert len({m.message_id for m in queued(ticket)}) == 3


def test_committing_a_change_queues_one_fan_out_then_one_send_task_for_its_mail(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = world.open()

    [batch] = MailBatch.objects.all()
    fan_outs = DBTaskResult.objects.filter(task_path="helpline.notify.tasks.fan_out_mail")
    assert [t.args_kwargs["args"] for t in fan_outs] == [[batch.pk]]
    assert not OutboundMessage.objects.exists()  # nothing rendered in the change

    with django_capture_on_commit_callbacks(execute=True):
        assert fan_out(batch.pk) == FanOutResult.DONE

    queued_ids = sorted(m.pk for m in queued(ticket))
    assert len(queued_ids) == 3
    sends = DBTaskResult.objects.filter(task_path="helpline.notify.tasks.send_outbound_batch")
    assert [t.args_kwargs["args"] for t in sends] == [[queued_ids]]
    assert not MailBatch.objects.exists()


@pytest.mark.parametrize("switched_off", ["department", "topic", "request"])
def test_no_autoresponse_when_the_department_topic_or_request_turns_it_off(
    world: World, switched_off: str
) -> None:
    if switched_off == "department":
        world.support.autorespond = False
        world.support.save()
    if switched_off == "topic":
        world.topic.autorespond = False
        world.topic.save()

    ticket = world.open(autorespond=switched_off != "request")

    assert queued(ticket, MailKind.AUTORESPONSE) == []
    assert len(queued(ticket, MailKind.NEW_TICKET_ALERT)) == 2  # agents still hear


def test_no_autoresponse_goes_to_one_of_our_own_addresses(world: World, settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "Help Desk <Help@Example.com>"
    ourselves = make_customer("Loop", "help@example.com")

    ticket = world.open(actor=world.agent, customer=ourselves)

    assert queued(ticket, MailKind.AUTORESPONSE) == []


def test_addresses_registered_by_other_apps_count_as_our_own(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(addresses, "_sources", [])  # registered for this test only
    add_own_address_source(lambda: ["Support <support@helpline.test>"])

    assert "support@helpline.test" in own_addresses()
    ticket = world.open(customer=make_customer("Box", "SUPPORT@helpline.test"), actor=None)
    assert queued(ticket, MailKind.AUTORESPONSE) == []


def test_an_agent_opening_a_ticket_is_not_alerted_about_it(world: World) -> None:
    ticket = world.open(actor=world.agent)

    assert recipients(ticket, MailKind.NEW_TICKET_ALERT) == ["Sam Super <sam.super@example.com>"]
    assert len(queued(ticket, MailKind.AUTORESPONSE)) == 1


def test_the_assignee_is_alerted_unless_they_claimed_the_ticket(world: World) -> None:
    ticket = world.open()
    ticket = lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, reason="Yours")
    [alert] = queued(ticket, MailKind.ASSIGNED_ALERT)
    assert alert.to == ["Alice Agent <alice.agent@example.com>"]
    assert "Sam Super assigned ticket" in alert.text and "Yours" in alert.text

    other = lifecycle.claim(world.open("Another"), actor=world.agent)
    assert queued(other, MailKind.ASSIGNED_ALERT) == []


def test_a_team_assignment_alerts_the_members_when_nobody_holds_the_ticket(world: World) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, team=world.team)

    # The supervisor assigned it and is a member; only the other member hears.
    assert recipients(ticket, MailKind.ASSIGNED_ALERT) == ["Alice Agent <alice.agent@example.com>"]
    assert "the team Level II" in queued(ticket, MailKind.ASSIGNED_ALERT)[0].text


def test_a_transfer_alerts_the_new_departments_agents(world: World) -> None:
    ticket = lifecycle.transfer(
        world.open(), actor=world.admin, department=world.sales, reason="Billing question"
    )

    [alert] = queued(ticket, MailKind.TRANSFER_ALERT)
    assert alert.to == ["Bob Sales <bob.sales@example.com>"]
    assert "from Support to Sales" in alert.text and "Billing question" in alert.text


def test_the_reopen_notice_goes_to_the_assignee_and_quotes_the_customers_message(
    world: World,
) -> None:
    ticket = lifecycle.assign(world.open(), actor=world.supervisor, agent=world.agent)
    ticket = lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Fixed.</p>")

    ticket = lifecycle.customer_reply(
        ticket, actor=world.customer, body_html="<p>Still smoking.</p>"
    )

    [notice] = queued(ticket, MailKind.REOPENED_ALERT)
    assert notice.to == ["Alice Agent <alice.agent@example.com>"]
    assert "reopened by Ken Adams" in notice.text and "Still smoking." in notice.text


def test_notes_and_status_changes_send_no_mail(world: World) -> None:
    ticket = world.open()
    before = len(queued(ticket))

    ticket = lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Secret.</p>")
    lifecycle.change_status(ticket, actor=world.agent, status=world.status("On Hold"))

    assert len(queued(ticket)) == before


def test_a_reply_goes_to_the_customer_and_each_collaborator_but_never_to_us(
    world: World, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "desk@example.com"
    loop: Customer = make_customer("Desk", "desk@example.com")
    carol = make_customer("Carol Cc", "carol@example.net")
    dave = make_customer("Dave Cc", "dave@example.net")
    ticket = world.open(actor=world.agent, customer=loop, collaborators=[carol, dave])

    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Done.</p>")

    assert [(m.to, m.cc) for m in queued(ticket, MailKind.REPLY)] == [
        (["Carol Cc <carol@example.net>"], []),
        (["Dave Cc <dave@example.net>"], []),
    ]


def test_intake_finds_the_ticket_a_reply_answers_by_the_ids_it_names(world: World) -> None:
    ticket = world.open()
    other = world.open("Another")
    [mail] = queued(ticket, MailKind.AUTORESPONSE)
    forged = mail.message_id.replace(ticket.number, other.number)

    assert ticket_for_message_ids(mail.message_id) == ticket
    assert ticket_for_message_ids("<theirs@example.com>", f"<x@y> {mail.message_id}") == ticket
    assert ticket_for_message_ids(forged) is None
    assert ticket_for_message_ids("<theirs@example.com>", None, "") is None
    OutboundMessage.objects.filter(pk=mail.pk).delete()  # the signature still names it
    assert ticket_for_message_ids(mail.message_id) == ticket


def test_references_name_the_readers_first_and_latest_mail_only(world: World) -> None:
    ticket = world.open()
    for n in range(12):
        ticket = lifecycle.reply(ticket, actor=world.agent, body_html=f"<p>Reply {n}</p>")

    mails = [m for m in queued(ticket) if m.to == ["Ken Adams <ken@example.com>"]]
    last = mails[-1]
    references = last.references.split()
    assert len(references) == 10
    assert references[0] == mails[0].message_id  # the autoresponse starts the thread
    assert references[1:] == [m.message_id for m in mails[-10:-1]]
    assert last.in_reply_to == mails[-2].message_id
    agents = {m.message_id for m in queued(ticket) if m.kind == MailKind.NEW_TICKET_ALERT}
    assert not agents & set(references)


def test_alerting_many_agents_costs_no_more_queries_than_alerting_two(
    world: World, django_assert_num_queries: Callable[..., Any]
) -> None:
    world.open()  # the first opening also makes the queue counter rows
    with CaptureQueriesContext(connection) as two:
        world.open()
    for n in range(10):
        make_agent(f"extra{n}.agent", Role.AGENT, world.support)

    with django_assert_num_queries(len(two)):
        ticket = world.open()

    assert len(queued(ticket, MailKind.NEW_TICKET_ALERT)) == 12
