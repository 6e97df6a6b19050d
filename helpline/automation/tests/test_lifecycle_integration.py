"""Routing rules, automatic assignment, auto-close and the reopen window, as the
lifecycle applies them: what ends up on the ticket and in its timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpline.accounts.models import AssignmentMode, Role
from helpline.automation.autoclose import close_resolved
from helpline.automation.models import Action, CannedReply, Condition, Kind, Rule
from helpline.conftest import World, make_agent
from helpline.intake.ingest import ingest_message
from helpline.intake.models import QuarantinedMessage
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.models import (
    Entry,
    EntryKind,
    Event,
    EventKind,
    Priority,
    SLASource,
    Source,
    Ticket,
)

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def rule(name: str, *conditions: tuple[str, str, str], order: int = 100, **flags: bool) -> Rule:
    made = Rule.objects.create(name=name, order=order, **flags)
    for field, operator, value in conditions:
        Condition.objects.create(rule=made, field=field, operator=operator, value=value)
    return made


def act(target: Rule, kind: Kind, **values: object) -> None:
    Action.objects.create(rule=target, kind=kind, **values)


def events(ticket: Ticket, kind: EventKind) -> list[Event]:
    return list(Event.objects.filter(ticket=ticket, kind=kind).order_by("id"))


# --- routing rules on opening ---------------------------------------------------------


def test_a_matching_rule_routes_the_ticket_and_the_timeline_says_so(world: World) -> None:
    urgent = Priority.objects.get(name="Emergency")
    fast = SLAPlan.objects.create(name="Fast", resolution_hours=2)
    route = rule("Outages to Sales", ("subject", "contains", "outage"))
    act(route, Kind.SET_DEPARTMENT, department=world.sales)
    act(route, Kind.SET_PRIORITY, priority=urgent)
    act(route, Kind.SET_SLA, sla=fast)
    act(route, Kind.ASSIGN_AGENT, agent=world.other_agent)

    ticket = world.open("Total OUTAGE in Berlin")

    ticket.refresh_from_db()
    assert ticket.department == world.sales
    assert ticket.priority == urgent
    assert (ticket.sla, ticket.sla_from) == (fast, SLASource.RULE)
    assert ticket.due_at == ticket.created_at + timedelta(hours=2)
    assert ticket.assignee == world.other_agent
    [routed] = events(ticket, EventKind.ROUTED)
    assert routed.new_value == "Outages to Sales"
    assert "Sales" in routed.reason and "Emergency" in routed.reason
    [assigned] = events(ticket, EventKind.ASSIGNED)
    assert (assigned.new_value, assigned.reason) == (str(world.other_agent), "Routing rule")


def test_a_ticket_that_no_rule_matches_is_left_as_asked(world: World) -> None:
    act(
        rule("Outages", ("subject", "contains", "outage")),
        Kind.SET_DEPARTMENT,
        department=world.sales,
    )

    ticket = world.open("Printer jam")

    assert ticket.department == world.support
    assert events(ticket, EventKind.ROUTED) == []


def test_a_rejecting_rule_refuses_the_ticket_with_its_reason(world: World) -> None:
    act(
        rule("No spam", ("domain", "equals", "example.com")),
        Kind.REJECT,
        value="We do not take requests from this domain.",
    )

    with pytest.raises(lifecycle.Rejected, match=r"^We do not take requests from this domain\.$"):
        world.open("Buy cheap pills")

    assert not Ticket.objects.exists()


def test_mail_a_rule_rejects_is_quarantined_with_the_reason(world: World) -> None:
    act(
        rule("No mail from example.com", ("domain", "equals", "example.com"), on_web=False),
        Kind.REJECT,
        value="Spam",
    )
    raw = (
        b"From: Ken Adams <ken@example.com>\r\nTo: help@helpline.test\r\n"
        b"Subject: Hello\r\nMessage-ID: <spam-1@example.com>\r\n\r\nBuy now\r\n"
    )

    ingest_message(raw)

    assert not Ticket.objects.exists()
    [kept] = QuarantinedMessage.objects.all()
    assert "Spam" in kept.reason


def test_a_rule_can_add_a_canned_reply_a_collaborator_and_silence_the_autoresponse(
    world: World,
) -> None:
    canned = CannedReply.objects.create(
        title="Printer FAQ", body_html="<p>Have you tried turning it off and on?</p>"
    )
    helpful = rule("Printer FAQ", ("subject", "contains", "printer"))
    act(helpful, Kind.CANNED_REPLY, canned_reply=canned)
    act(helpful, Kind.ADD_COLLABORATOR, value="boss@example.com")
    act(helpful, Kind.NO_AUTORESPONSE)

    ticket = world.open("Printer on fire")

    reply = Entry.objects.get(ticket=ticket, kind=EntryKind.REPLY)
    assert "turning it off and on" in reply.body
    assert reply.author_name == "System"
    assert list(ticket.collaborators.values_list("customer__email", flat=True)) == [
        "boss@example.com"
    ]
    fan_out_pending()
    kinds = set(OutboundMessage.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert MailKind.AUTORESPONSE not in kinds
    assert MailKind.REPLY in kinds
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # a canned reply is not a person's answer


def test_a_rule_that_fails_at_run_time_is_skipped_and_the_ticket_still_opens(
    world: World,
) -> None:
    slow = rule("Catastrophic", ("subject", "regex", "(a+)+$"))
    act(slow, Kind.SET_DEPARTMENT, department=world.sales)

    ticket = world.open("a" * 5000 + "b")

    assert ticket.department == world.support
    [skipped] = events(ticket, EventKind.ROUTED)
    assert skipped.field == "rule_error"
    slow.refresh_from_db()
    assert slow.error_count == 1 and slow.last_error


def test_rules_run_only_on_their_channels(world: World) -> None:
    act(
        rule("Phone only", on_web=False, on_email=False, on_api=False),
        Kind.SET_DEPARTMENT,
        department=world.sales,
    )

    web = world.open("From the portal")
    phone = world.open("By phone", actor=world.admin, source=Source.PHONE)

    assert (web.department, phone.department) == (world.support, world.sales)


# --- automatic assignment on opening and reopening -----------------------------------


def test_a_help_topic_can_name_a_fixed_agent(world: World) -> None:
    world.topic.assign_agent = world.agent
    world.topic.save()

    ticket = world.open()

    assert ticket.assignee == world.agent
    [assigned] = events(ticket, EventKind.ASSIGNED)
    assert assigned.reason == "Help topic Printers"


def test_round_robin_departments_assign_new_tickets_in_turn(world: World) -> None:
    world.support.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.support.save()

    owners = [world.open(f"Ticket {i}").assignee for i in range(3)]

    assert owners == [world.supervisor, world.agent, world.supervisor]
    reasons = {e.reason for e in Event.objects.filter(kind=EventKind.ASSIGNED)}
    assert reasons == {"Automatic assignment (round robin)"}


def test_when_nobody_is_available_the_ticket_waits_unassigned(world: World) -> None:
    world.support.assignment_mode = AssignmentMode.LEAST_LOADED
    world.support.save()
    make_agent("vera.elsewhere", Role.AGENT, world.sales)  # no access to Support
    for agent in (world.agent, world.supervisor):
        agent.is_on_vacation = True
        agent.save()

    ticket = world.open()

    assert ticket.assignee is None
    [waiting] = events(ticket, EventKind.UNASSIGNABLE)
    assert waiting.reason.startswith("Nobody in Support is available (least loaded)")


def test_the_manager_is_alerted_when_nobody_is_eligible(world: World) -> None:
    world.support.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.support.manager = world.admin
    world.support.save()
    for agent in (world.agent, world.supervisor):
        agent.is_on_vacation = True
        agent.save()

    ticket = world.open()

    fan_out_pending()
    [alert] = OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.UNASSIGNABLE_ALERT)
    assert alert.to == [f"Ada Admin <{world.admin.user.email}>"]


def test_a_reopened_ticket_goes_back_to_its_last_agent_while_available(world: World) -> None:
    world.support.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.support.save()
    ticket = world.open()
    first = ticket.assignee
    assert first is not None
    ticket = lifecycle.resolve(ticket, actor=first, explanation_html="<p>Fixed</p>")

    ticket = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>Still broken</p>")

    assert ticket.assignee == first
    assert events(ticket, EventKind.ASSIGNED)[-1].reason.startswith("Automatic")


def test_a_reopened_ticket_whose_agent_is_away_is_assigned_again(world: World) -> None:
    world.support.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.support.save()
    ticket = world.open()
    first = ticket.assignee
    assert first is not None
    ticket = lifecycle.resolve(ticket, actor=first, explanation_html="<p>Fixed</p>")
    first.is_on_vacation = True
    first.save()

    ticket = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>Still broken</p>")

    assert ticket.assignee not in (None, first)
    assert events(ticket, EventKind.ASSIGNED)[-1].reason == f"{first} is not available"


# --- auto-close and the reopen window --------------------------------------------------


def resolved_on(world: World, when: datetime) -> Ticket:
    with time_machine.travel(when, tick=False):
        ticket = world.open()
        return lifecycle.resolve(ticket, actor=world.agent, explanation_html="<p>Done</p>")


def test_resolved_tickets_close_after_the_departments_period(world: World) -> None:
    world.support.auto_close_days = 3
    world.support.save()
    old = resolved_on(world, MONDAY)
    recent = resolved_on(world, MONDAY + timedelta(days=2))

    counts = close_resolved(now=MONDAY + timedelta(days=3, seconds=1))

    assert counts == {"closed": 1, "skipped": 0}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status.purpose == "closed" and recent.status.purpose == "resolved"
    [closed] = events(old, EventKind.CLOSED)
    assert closed.actor_name == "System"
    assert closed.reason == "Closed automatically: no reply 3 days after it was resolved"


def test_departments_without_a_period_never_auto_close(world: World) -> None:
    resolved_on(world, MONDAY)

    assert close_resolved(now=MONDAY + timedelta(days=365)) == {"closed": 0, "skipped": 0}


def test_a_reply_within_the_reopen_window_reopens_the_ticket(world: World) -> None:
    world.support.reopen_window_days = 7
    world.support.save()
    ticket = resolved_on(world, MONDAY)

    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        got = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>Again</p>")

    assert got.pk == ticket.pk and got.is_open and got.reopen_count == 1


def test_a_reply_after_the_reopen_window_opens_a_linked_ticket(world: World) -> None:
    world.support.reopen_window_days = 7
    world.support.save()
    ticket = resolved_on(world, MONDAY)

    with time_machine.travel(MONDAY + timedelta(days=8), tick=False):
        got = lifecycle.customer_reply(ticket, actor=world.customer, body_html="<p>New issue</p>")

    assert got.pk != ticket.pk
    assert got.follows_id == ticket.pk and got.is_open and got.subject == ticket.subject
    assert "New issue" in got.entries.get(kind=EntryKind.MESSAGE).body
    ticket.refresh_from_db()
    assert not ticket.is_open and ticket.reopen_count == 0
    [linked] = events(ticket, EventKind.LINKED)
    assert linked.new_value == f"#{got.number}"
    [created] = events(got, EventKind.CREATED)
    assert created.reason == f"Follows #{ticket.number}"
