"""The reasons the lifecycle writes itself are stored in English, whichever language
the request that made the change was in, and each reader gets them in their own:
the desk's timeline and agents' alert mail (helpline.tickets.reasons).

Each scenario below makes its changes while German is active (a German agent's
request, a German customer's mail) and then checks every reason it stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from helpline.accounts.models import AssignmentMode
from helpline.automation.sla_sweep import sweep
from helpline.automation.tests.sweeping import policy, targets
from helpline.conftest import World
from helpline.notify.models import MailKind, OutboundMessage
from helpline.sla.models import Target, Trigger
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, HeldReply, Ticket
from helpline.tickets.reasons import translate_reason

pytestmark = pytest.mark.django_db


@pytest.fixture
def german() -> Iterator[None]:
    with translation.override("de"):
        yield


def reasons(ticket: Ticket) -> list[str]:
    return [r for r in Event.objects.filter(ticket=ticket).values_list("reason", flat=True) if r]


def assert_stored_in_english_and_shown_in_german(stored: list[str], *english: str) -> None:
    for start in english:
        assert any(r.startswith(start) for r in stored), (start, stored)
    for reason in stored:
        with translation.override("en"):
            assert translate_reason(reason) == reason  # English readers: as stored
        with translation.override("de"):
            shown = translate_reason(reason)
        assert shown != reason, f"shown in English to a German reader: {reason!r}"


def test_automatic_assignment(world: World, german: None) -> None:
    world.support.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.support.save()

    ticket = world.open()

    stored = reasons(ticket)
    assert_stored_in_english_and_shown_in_german(stored, "Automatic assignment (round robin)")
    with translation.override("de"):
        assert "Reihum" in translate_reason("Automatic assignment (round robin)")


@pytest.mark.parametrize("in_team", [False, True], ids=["department", "team"])
def test_nobody_available_in_a_department_or_a_team(
    world: World, german: None, in_team: bool
) -> None:
    """Also in the alert: the manager reads the reason in their own language."""
    world.support.manager = world.admin
    world.support.save()
    scope = world.team if in_team else world.support
    scope.assignment_mode = AssignmentMode.LEAST_LOADED
    scope.save()
    if in_team:
        world.topic.assign_team = world.team
        world.topic.save()
    for agent in (world.agent, world.supervisor):
        agent.is_on_vacation = True
        agent.save()
    world.admin.language = "de"
    world.admin.save()

    ticket = world.open()

    expected = "Nobody in the team Level II" if in_team else "Nobody in Support"
    assert_stored_in_english_and_shown_in_german(reasons(ticket), expected)
    [alert] = OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.UNASSIGNABLE_ALERT)
    assert "is available" not in alert.text and "niemand" in alert.text.lower(), alert.text


def test_escalation_levels_and_missed_targets(world: World, german: None) -> None:
    plan = targets(world, first_response="1", resolution="8")
    policy(
        plan,
        {
            "name": "Half",
            "target": Target.FIRST_RESPONSE,
            "trigger": Trigger.BEFORE_DUE,
            "percent": 50,
        },
        {"name": "Late", "target": Target.RESOLUTION, "trigger": Trigger.AFTER_DUE, "minutes": 30},
        {"name": "At due", "target": Target.RESOLUTION, "trigger": Trigger.AFTER_DUE, "minutes": 0},
    )
    ticket = world.open()
    assert ticket.due_at is not None

    sweep(now=ticket.due_at + (ticket.due_at - ticket.created_at))

    assert_stored_in_english_and_shown_in_german(
        reasons(ticket),
        "SLA: at 50 % of the first response target",
        "SLA: 30 min after the resolution target",
        "SLA: when the resolution target passes",
        "First response target missed (due ",
        "Resolution target missed (due ",
    )


def test_held_mail_and_the_stranger_it_adds(world: World, german: None) -> None:
    ticket = world.open()
    held = lifecycle.hold_reply(
        ticket,
        sender_name="Kim Colleague",
        sender_email="kim@example.net",
        customer=None,
        body_html="<p>It burns again.</p>",
        reasons=[HeldReply.Reason.STRANGER, HeldReply.Reason.NO_TOKEN],
    )
    lifecycle.accept_held(held, actor=world.agent)

    with translation.override("en"):
        held_for = "; ".join(
            str(r.label) for r in (HeldReply.Reason.STRANGER, HeldReply.Reason.NO_TOKEN)
        )
    assert_stored_in_english_and_shown_in_german(
        reasons(ticket), held_for, "Kim Colleague <kim@example.net>, whose held mail was accepted"
    )


def test_a_typed_reason_is_shown_as_typed(german: None) -> None:
    assert translate_reason("Der Kunde hat angerufen") == "Der Kunde hat angerufen"
    assert translate_reason("Set priority to High; Stopped processing further rules") == (
        "Priorität auf High gesetzt; Weitere Regeln nicht mehr ausgeführt"
    )
