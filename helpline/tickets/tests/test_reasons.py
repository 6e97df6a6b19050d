"""The reasons the lifecycle writes itself are stored in English, whichever language
the request that made the change was in, and each reader gets them in their own:
the desk's timeline and agents' alert mail (helpline.tickets.reasons).

Each scenario below makes its changes while German is active (a German agent's
request, a German customer's mail) and then checks every reason it stored."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from helpline.accounts.models import AssignmentMode
from helpline.automation.sla_sweep import sweep
from helpline.automation.tests.sweeping import policy, targets
from helpline.conftest import World
from helpline.notify.models import MailKind, OutboundMessage
from helpline.notify.tests.helpers import fan_out_pending
from helpline.sla.models import Target, Trigger
from helpline.tickets import lifecycle
from helpline.tickets.models import Event, HeldReply, Ticket
from helpline.tickets.reasons import OWN_KEY, PATTERNS, SENTENCES, event_reason, translate_reason

pytestmark = pytest.mark.django_db


@pytest.fixture
def german() -> Iterator[None]:
    with translation.override("de"):
        yield


def reasons(ticket: Ticket) -> list[Event]:
    """The events with a reason Helpline wrote (none of these scenarios types one)."""
    events = [e for e in Event.objects.filter(ticket=ticket) if e.reason]
    assert all(e.data.get(OWN_KEY) for e in events), [e.reason for e in events]
    return events


def assert_stored_in_english_and_shown_in_german(events: list[Event], *english: str) -> None:
    stored = [e.reason for e in events]
    for start in english:
        assert any(r.startswith(start) for r in stored), (start, stored)
    for event in events:
        with translation.override("en"):
            assert event_reason(event) == event.reason  # English readers: as stored
        with translation.override("de"):
            shown = event_reason(event)
        assert shown != event.reason, f"shown in English to a German reader: {event.reason!r}"


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
    fan_out_pending()
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


def test_a_typed_reason_is_shown_as_typed_however_much_it_looks_like_ours(
    world: World, german: None
) -> None:
    ticket = lifecycle.transfer(
        world.open(), actor=world.admin, department=world.sales, reason="Help topic is broken"
    )
    [typed] = [e for e in Event.objects.filter(ticket=ticket) if e.reason == "Help topic is broken"]
    assert OWN_KEY not in typed.data
    assert event_reason(typed) == "Help topic is broken"
    assert translate_reason("Help topic is broken") == "Hilfethema is broken"  # were it ours


def test_a_rule_s_actions_are_translated_each_alone(german: None) -> None:
    assert translate_reason("Set priority to High; Stopped processing further rules") == (
        "Priorität auf High gesetzt; Weitere Regeln nicht mehr ausgeführt"
    )


# --- every reason in the code has its template ------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "12"  # what stands in for each {...} of an f-string (a name, a number)
# ...unless the f-string inserts stored English of its own:
SAMPLES = {
    "english(level.describe)": "at 50 % of the resolution target",
    "english(target.label)": "Resolution",
    "due": "2026-03-02 17:00",
    "label": "round robin",
}


def _own_texts() -> list[tuple[str, str]]:
    """(where, sample text) of every own("..."/f"...") in the code."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "own"):
                continue
            [arg] = node.args
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.append((where, _sample(arg)))
    return found


def _sample(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _sample(v) if isinstance(v, ast.Constant) else SAMPLES.get(_source(v), SAMPLE)
            for v in node.values
        )
    if isinstance(node, ast.BinOp):  # "..." + _what(...)
        return _sample(node.left) + "help topic"
    return SAMPLE  # "; ".join(...): a rule's actions or a held mail's reasons


def _source(node: ast.expr) -> str:
    return ast.unparse(node.value) if isinstance(node, ast.FormattedValue) else ""


def test_every_reason_helpline_writes_has_a_translation() -> None:
    texts = _own_texts()
    assert len(texts) >= 20, texts  # the walk found the code
    with translation.override("de"):
        untranslated = [
            (where, text)
            for where, text in texts
            if text != SAMPLE and translate_reason(text) == text
        ]
    assert untranslated == []
    assert SENTENCES and PATTERNS


def test_no_reason_is_written_in_english_without_being_marked_as_ours() -> None:
    """A literal or f-string passed as `reason=` (or assigned to `why`) in the
    lifecycle and the automation is wrapped in own(...), so it is translated."""
    bare = []
    read = 0
    for folder in ("tickets/lifecycle", "automation"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "tests" in path.parts:
                continue
            read += 1
            for value in _reason_values(ast.parse(path.read_text(), str(path))):
                bare += [
                    f"{path.relative_to(ROOT)}:{getattr(part, 'lineno', 0)}"
                    for part in ast.walk(value)
                    if _is_text(part) and not _inside_own(value, part)
                ]
    assert read >= 15  # the walk found the code (ROOT is the helpline package)
    assert bare == []


def _reason_values(tree: ast.AST) -> list[ast.expr]:
    values = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.keyword) and node.arg == "reason") or (
            isinstance(node, ast.Assign)
            and any(getattr(t, "id", "") in {"why", "reason"} for t in node.targets)
        ):
            values.append(node.value)
    return values


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    text = node.value if isinstance(node, ast.Constant) else None
    return isinstance(text, str) and text.strip() not in {"", ";"}


def _inside_own(root: ast.expr, target: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "own"
        and any(n is target for n in ast.walk(node))
        for node in ast.walk(root)
    )


def test_a_typed_reason_in_an_alert_is_mailed_as_typed(world: World, german: None) -> None:
    """Alert mail reads the reason as the timeline does: a reason an agent typed is
    not rewritten for a German reader, however much it looks like one of ours."""
    world.admin.language = "de"
    world.admin.save()
    policy(world.sla, {"name": "Floor", "notify_agents": [world.admin]})
    ticket = world.open()

    lifecycle.escalate(ticket, actor=world.agent, reason="Help topic is broken")

    fan_out_pending()
    alerts = OutboundMessage.objects.filter(ticket=ticket, kind=MailKind.ESCALATION_ALERT)
    [alert] = [m for m in alerts if world.admin.user.email in m.to[0]]
    assert "Hallo" in alert.text  # the German reader's mail
    assert "Help topic is broken" in alert.text
    assert "Hilfethema is broken" not in alert.text
