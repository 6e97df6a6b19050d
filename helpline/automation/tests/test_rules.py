"""Routing rules at run time: what `route()` makes of a new ticket."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import Organization, Team
from helpline.automation import rules
from helpline.automation.models import (
    Action,
    CannedReply,
    Condition,
    Field,
    Kind,
    Operator,
    Rule,
)
from helpline.automation.rules import (
    OpeningDraft,
    RuleError,
    RuleOutcome,
    condition_holds,
    conditions_hold,
    route,
)
from helpline.conftest import World
from helpline.intake.models import Mailbox
from helpline.tickets.models import Priority, Source, Status

# --- helpers ---------------------------------------------------------------------------


def draft(world: World, **kwargs: Any) -> OpeningDraft:
    kwargs.setdefault("source", Source.WEB)
    kwargs.setdefault("customer", world.customer)
    kwargs.setdefault("subject", "Printer on fire")
    kwargs.setdefault("body_text", "It is really on fire.")
    kwargs.setdefault("topic", world.topic)
    return OpeningDraft(**kwargs)


def cond(field: str, operator: str, value: str, extra_key: str = "") -> Condition:
    return Condition(field=field, operator=operator, value=value, extra_key=extra_key)


def make_rule(
    name: str,
    conditions: Sequence[tuple[str, str, str] | Condition] = (),
    actions: Sequence[tuple[str, dict[str, Any]]] = (),
    **fields: Any,
) -> Rule:
    """A saved rule; conditions as (field, operator, value) or Condition objects,
    actions as (kind, {column: target})."""
    rule = Rule.objects.create(name=name, **fields)
    for c in conditions:
        condition = c if isinstance(c, Condition) else cond(*c)
        condition.rule = rule
        condition.save()
    for kind, targets in actions:
        Action.objects.create(rule=rule, kind=kind, **targets)
    return rule


def holds(world: World, condition: Condition, **kwargs: Any) -> bool:
    return condition_holds(draft(world, **kwargs), condition)


# --- operators -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        (Operator.EQUALS, "printer on fire", True),
        (Operator.EQUALS, "  PRINTER ON FIRE ", True),
        (Operator.EQUALS, "printer", False),
        (Operator.NOT_EQUALS, "printer", True),
        (Operator.NOT_EQUALS, "Printer On Fire", False),
        (Operator.CONTAINS, "ON FI", True),
        (Operator.CONTAINS, "smoke", False),
        (Operator.NOT_CONTAINS, "smoke", True),
        (Operator.NOT_CONTAINS, "fire", False),
        (Operator.STARTS_WITH, "printer", True),
        (Operator.STARTS_WITH, "fire", False),
        (Operator.ENDS_WITH, "FIRE", True),
        (Operator.ENDS_WITH, "printer", False),
        (Operator.REGEX, r"^print\w+ on", True),
        (Operator.REGEX, r"[A-Z]+ ON FIRE$", True),  # case-insensitive too
        (Operator.REGEX, r"^on fire", False),
        (Operator.IN_LIST, "Toner low, printer on fire", True),
        (Operator.IN_LIST, "toner low\nPRINTER ON FIRE\n", True),
        (Operator.IN_LIST, "toner low, printer", False),
    ],
)
def test_each_operator_compares_the_subject_ignoring_case(
    world: World, operator: str, value: str, expected: bool
) -> None:
    assert holds(world, cond(Field.SUBJECT, operator, value)) is expected


def test_an_unknown_operator_is_a_rule_error(world: World) -> None:
    with pytest.raises(RuleError, match="Unknown operator"):
        holds(world, cond(Field.SUBJECT, "sounds_like", "printer"))


def test_an_unknown_field_is_a_rule_error(world: World) -> None:
    with pytest.raises(RuleError, match="Unknown field"):
        holds(world, cond("shoe_size", Operator.EQUALS, "42"))


# --- fields ----------------------------------------------------------------------------


def test_customer_email_domain_and_name(world: World) -> None:
    assert holds(world, cond(Field.CUSTOMER_EMAIL, Operator.EQUALS, "KEN@example.com"))
    assert not holds(world, cond(Field.CUSTOMER_EMAIL, Operator.EQUALS, "ken@example.org"))
    assert holds(world, cond(Field.CUSTOMER_DOMAIN, Operator.EQUALS, "Example.COM"))
    assert not holds(world, cond(Field.CUSTOMER_DOMAIN, Operator.EQUALS, "ken@example.com"))
    assert holds(world, cond(Field.CUSTOMER_DOMAIN, Operator.IN_LIST, "foo.test, example.com"))
    assert holds(world, cond(Field.CUSTOMER_NAME, Operator.STARTS_WITH, "ken "))
    assert not holds(world, cond(Field.CUSTOMER_NAME, Operator.CONTAINS, "olive"))
    assert holds(
        world, cond(Field.CUSTOMER_NAME, Operator.EQUALS, "olive outsider"), customer=world.outsider
    )


def test_body(world: World) -> None:
    assert holds(world, cond(Field.BODY, Operator.CONTAINS, "REALLY"))
    assert not holds(world, cond(Field.BODY, Operator.CONTAINS, "printer"))


def test_help_topic_compares_by_name_and_no_topic_is_empty(world: World) -> None:
    condition = cond(Field.TOPIC, Operator.EQUALS, "printers")
    assert holds(world, condition)
    assert not holds(world, condition, topic=world.sales_topic)
    assert not holds(world, condition, topic=None)
    assert holds(world, cond(Field.TOPIC, Operator.EQUALS, ""), topic=None)
    assert holds(world, cond(Field.TOPIC, Operator.NOT_EQUALS, "Printers"), topic=None)


def test_source(world: World) -> None:
    condition = cond(Field.SOURCE, Operator.IN_LIST, "email, api")
    assert holds(world, condition, source=Source.EMAIL)
    assert holds(world, condition, source=Source.API)
    assert not holds(world, condition, source=Source.WEB)


def test_priority_compares_by_name(world: World) -> None:
    high = Priority.objects.get(name="High")
    condition = cond(Field.PRIORITY, Operator.EQUALS, "high")
    assert holds(world, condition, priority=high)
    assert not holds(world, condition, priority=Priority.objects.get(name="Low"))
    assert not holds(world, condition)  # no priority asked for


def test_organization_compares_by_name(world: World) -> None:
    condition = cond(Field.ORGANIZATION, Operator.EQUALS, "acme corp")
    assert not holds(world, condition)  # Ken has no organization yet
    world.customer.organization = Organization.objects.create(name="ACME Corp")
    world.customer.save()
    assert holds(world, condition)
    assert not holds(world, cond(Field.ORGANIZATION, Operator.EQUALS, "Initech"))


def test_recipients_match_when_any_address_does(world: World) -> None:
    recipients = ("Support <support@helpline.test>", "sales@helpline.test")
    condition = cond(Field.RECIPIENT, Operator.EQUALS, "SALES@helpline.test")
    assert holds(world, condition, recipients=recipients)
    assert holds(
        world,
        cond(Field.RECIPIENT, Operator.EQUALS, "support@helpline.test"),
        recipients=recipients,
    )
    assert not holds(world, condition, recipients=("support@helpline.test",))
    assert not holds(world, condition)  # no recipients: a positive operator never holds


def test_negative_operators_on_recipients_hold_when_no_address_does(world: World) -> None:
    condition = cond(Field.RECIPIENT, Operator.NOT_CONTAINS, "sales@")
    assert holds(world, condition, recipients=("support@helpline.test",))
    assert not holds(world, condition, recipients=("support@helpline.test", "sales@helpline.test"))
    assert holds(world, condition)  # nobody at all


def test_topic_fields_read_the_extra_answers(world: World) -> None:
    condition = cond(Field.TOPIC_FIELD, Operator.STARTS_WITH, "HP-", extra_key="asset_tag")
    assert holds(world, condition, extra={"asset_tag": "hp-4411"})
    assert not holds(world, condition, extra={"asset_tag": "XR-1"})
    assert not holds(world, condition, extra={"serial": "hp-4411"})
    assert not holds(world, condition)
    number = cond(Field.TOPIC_FIELD, Operator.EQUALS, "3", extra_key="floor")
    assert holds(world, number, extra={"floor": 3})
    several = cond(Field.TOPIC_FIELD, Operator.EQUALS, "toner", extra_key="parts")
    assert holds(world, several, extra={"parts": ["drum", "Toner"]})


# --- all and any -----------------------------------------------------------------------


def test_all_needs_every_condition_and_any_needs_one(world: World) -> None:
    conditions = [
        cond(Field.SUBJECT, Operator.CONTAINS, "printer"),
        cond(Field.CUSTOMER_DOMAIN, Operator.EQUALS, "example.org"),
    ]
    assert not conditions_hold(draft(world), "all", conditions)
    assert conditions_hold(draft(world), "any", conditions)
    assert conditions_hold(draft(world, customer=world.outsider), "all", conditions)
    assert not conditions_hold(draft(world, subject="Hello"), "any", conditions)


def test_no_conditions_match_everything(world: World) -> None:
    assert conditions_hold(draft(world), "all", [])
    assert conditions_hold(draft(world), "any", [])


# --- route: which rules run ------------------------------------------------------------


def test_a_matching_rule_sets_the_department_and_is_reported(world: World) -> None:
    rule = make_rule(
        "Pricing questions",
        [(Field.SUBJECT, Operator.CONTAINS, "price")],
        [(Kind.SET_DEPARTMENT, {"department": world.sales})],
    )
    outcome = route(draft(world, subject="What is the price?"))
    assert outcome.department == world.sales
    assert outcome.matches == [
        rules.RuleMatch(rule.pk, "Pricing questions", ["Set department to Sales"])
    ]
    assert route(draft(world)) == RuleOutcome()


def test_rules_run_only_for_their_channels(world: World) -> None:
    make_rule(
        "Mail only",
        actions=[(Kind.SET_DEPARTMENT, {"department": world.sales})],
        on_web=False,
        on_api=False,
        on_phone=False,
        on_walk_in=False,
        on_other=False,
    )
    assert route(draft(world, source=Source.EMAIL)).department == world.sales
    for source in (Source.WEB, Source.API, Source.PHONE, Source.WALK_IN, Source.OTHER):
        assert route(draft(world, source=source)).department is None


def test_a_mailbox_rule_runs_only_for_mail_through_that_mailbox(world: World) -> None:
    sales_box = Mailbox.objects.create(
        department=world.sales, address="sales@helpline.test", protocol="pipe"
    )
    other_box = Mailbox.objects.create(
        department=world.support, address="help@helpline.test", protocol="pipe"
    )
    make_rule(
        "Sales mailbox",
        actions=[(Kind.SET_PRIORITY, {"priority": Priority.objects.get(name="High")})],
        mailbox=sales_box,
    )
    email = {"source": Source.EMAIL}
    assert route(draft(world, mailbox_id=sales_box.pk, **email)).priority is not None
    assert route(draft(world, mailbox_id=other_box.pk, **email)).priority is None
    assert route(draft(world, **email)).priority is None


def test_inactive_rules_are_ignored(world: World) -> None:
    make_rule("Off", actions=[(Kind.SET_DEPARTMENT, {"department": world.sales})], is_active=False)
    assert route(draft(world)).department is None
    assert route(draft(world)).matches == []


def test_rules_run_in_order_and_the_last_match_wins(world: World) -> None:
    high, low = Priority.objects.get(name="High"), Priority.objects.get(name="Low")
    # Created out of order: `order` decides, then the id.
    second = make_rule("Second", actions=[(Kind.SET_PRIORITY, {"priority": low})], order=20)
    first = make_rule(
        "First",
        actions=[
            (Kind.SET_PRIORITY, {"priority": high}),
            (Kind.SET_DEPARTMENT, {"department": world.sales}),
        ],
        order=10,
    )
    outcome = route(draft(world))
    assert [m.rule_id for m in outcome.matches] == [first.pk, second.pk]
    assert outcome.priority == low  # the later rule replaced it
    assert outcome.department == world.sales  # nobody replaced that
    tie = make_rule("Tie", actions=[(Kind.SET_PRIORITY, {"priority": high})], order=20)
    outcome = route(draft(world))
    assert [m.rule_id for m in outcome.matches] == [first.pk, second.pk, tie.pk]
    assert outcome.priority == high


def test_stop_ends_processing_after_its_rule(world: World) -> None:
    first = make_rule(
        "VIP",
        [(Field.CUSTOMER_DOMAIN, Operator.EQUALS, "example.com")],
        [(Kind.ASSIGN_TEAM, {"team": world.team}), (Kind.STOP, {})],
        order=1,
    )
    make_rule("Everyone", actions=[(Kind.SET_DEPARTMENT, {"department": world.sales})], order=2)
    outcome = route(draft(world))
    assert outcome.team == world.team
    assert outcome.department is None
    assert outcome.stopped_by == first.pk
    assert outcome.matches[0].actions == [
        "Assigned to team Level II",
        "Stopped processing further rules",
    ]
    # A stop that does not match stops nothing.
    assert route(draft(world, customer=world.outsider)).department == world.sales


def test_reject_stops_everything(world: World) -> None:
    make_rule("Before", actions=[(Kind.SET_DEPARTMENT, {"department": world.sales})], order=1)
    spam = make_rule(
        "Spam",
        [(Field.SUBJECT, Operator.REGEX, r"\b(viagra|casino)\b")],
        [(Kind.REJECT, {"value": "Looks like spam."})],
        order=2,
    )
    make_rule("After", actions=[(Kind.ASSIGN_TEAM, {"team": world.team})], order=3)
    outcome = route(draft(world, subject="Best CASINO offers"))
    assert outcome.reject_reason == "Looks like spam."
    assert outcome.team is None
    assert outcome.stopped_by == spam.pk
    assert outcome.matches[-1].actions == ["Rejected the ticket: Looks like spam."]
    assert route(draft(world)).reject_reason is None


def test_every_action_lands_in_the_outcome(world: World) -> None:
    high = Priority.objects.get(name="High")
    hold = Status.objects.get(name="On Hold")
    reply = CannedReply.objects.create(title="Thanks", body_html="<p>We are on it.</p>")
    make_rule(
        "Everything",
        actions=[
            (Kind.SET_DEPARTMENT, {"department": world.sales}),
            (Kind.SET_TOPIC, {"topic": world.sales_topic}),
            (Kind.SET_PRIORITY, {"priority": high}),
            (Kind.SET_SLA, {"sla": world.sla}),
            (Kind.SET_STATUS, {"status": hold}),
            (Kind.ASSIGN_AGENT, {"agent": world.other_agent}),
            (Kind.ASSIGN_TEAM, {"team": world.team}),
            (Kind.NO_AUTORESPONSE, {}),
            (Kind.CANNED_REPLY, {"canned_reply": reply}),
            (Kind.ADD_COLLABORATOR, {"value": "boss@example.com"}),
        ],
    )
    outcome = route(draft(world))
    assert outcome.department == world.sales
    assert outcome.topic == world.sales_topic
    assert outcome.priority == high
    assert outcome.sla == world.sla
    assert outcome.status == hold
    assert outcome.agent == world.other_agent
    assert outcome.team == world.team
    assert outcome.autorespond is False
    assert outcome.canned_replies == [reply]
    assert outcome.collaborators == ["boss@example.com"]
    assert outcome.reject_reason is None
    assert outcome.errors == []
    assert outcome.matches[0].actions == [
        "Set department to Sales",
        "Set help topic to Pricing",
        "Set priority to High",
        "Set SLA plan to Standard",
        "Set status to On Hold",
        "Assigned to Bob Sales",
        "Assigned to team Level II",
        "Disabled the autoresponse",
        "Sent canned reply “Thanks”",
        "Added collaborator boss@example.com",
    ]


def test_replies_and_collaborators_add_up_across_rules_without_duplicates(world: World) -> None:
    one = CannedReply.objects.create(title="One", body_html="1")
    two = CannedReply.objects.create(title="Two", body_html="2")
    make_rule(
        "A",
        actions=[
            (Kind.CANNED_REPLY, {"canned_reply": one}),
            (Kind.ADD_COLLABORATOR, {"value": "a@example.com"}),
            (Kind.NO_AUTORESPONSE, {}),
        ],
    )
    make_rule(
        "B",
        actions=[
            (Kind.CANNED_REPLY, {"canned_reply": two}),
            (Kind.CANNED_REPLY, {"canned_reply": one}),
            (Kind.ADD_COLLABORATOR, {"value": "A@example.com"}),
            (Kind.ADD_COLLABORATOR, {"value": "b@example.com"}),
        ],
    )
    outcome = route(draft(world))
    assert outcome.canned_replies == [one, two]
    assert outcome.collaborators == ["a@example.com", "b@example.com"]
    assert outcome.autorespond is False  # a later rule does not turn it back on


# --- route: rules that fail at run time ------------------------------------------------


def test_a_regex_that_times_out_is_skipped_logged_and_recorded(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    slow = make_rule(
        "Catastrophic",
        [(Field.BODY, Operator.REGEX, r"(a+)+$")],
        [(Kind.SET_PRIORITY, {"priority": Priority.objects.get(name="Emergency")})],
        order=1,
    )
    after = make_rule(
        "After", actions=[(Kind.SET_DEPARTMENT, {"department": world.sales})], order=2
    )
    with caplog.at_level(logging.WARNING, logger="helpline.automation.rules"):
        outcome = route(draft(world, body_text="a" * 5000 + "b"))
    assert outcome.priority is None
    assert outcome.department == world.sales  # the next rule still ran
    assert [m.rule_id for m in outcome.matches] == [after.pk]
    assert len(outcome.errors) == 1
    assert outcome.errors[0][0] == slow.pk
    assert "took longer than 0.05 s" in outcome.errors[0][1]
    assert "Catastrophic" in caplog.text
    slow.refresh_from_db()
    assert "took longer" in slow.last_error
    assert slow.last_error_at is not None
    assert slow.error_count == 1
    route(draft(world, body_text="a" * 5000 + "b"))
    slow.refresh_from_db()
    assert slow.error_count == 2
    after.refresh_from_db()
    assert after.error_count == 0
    assert after.last_error == ""


def test_a_deleted_target_skips_the_whole_rule(world: World) -> None:
    reply = CannedReply.objects.create(title="Gone soon", body_html="x")
    rule = make_rule(
        "Reply",
        actions=[
            (Kind.SET_DEPARTMENT, {"department": world.sales}),
            (Kind.CANNED_REPLY, {"canned_reply": reply}),
        ],
    )
    reply.delete()
    outcome = route(draft(world))
    assert outcome.department is None  # none of its actions, not half of them
    assert outcome.matches == []
    assert outcome.errors == [
        (rule.pk, "The canned reply of the action “Send canned reply” was deleted; choose another.")
    ]
    rule.refresh_from_db()
    assert rule.error_count == 1


def test_a_deactivated_target_is_an_error(world: World) -> None:
    team = Team.objects.create(name="Night shift", is_active=False)
    rule = make_rule("Night", actions=[(Kind.ASSIGN_TEAM, {"team": team})])
    outcome = route(draft(world))
    assert outcome.team is None
    assert outcome.errors == [(rule.pk, "The team “Night shift” of this rule is no longer active.")]


def test_a_status_closed_after_the_rule_was_saved_is_an_error(world: World) -> None:
    hold = Status.objects.get(name="On Hold")
    rule = make_rule("Hold", actions=[(Kind.SET_STATUS, {"status": hold})])
    Status.objects.filter(pk=hold.pk).update(state="closed")
    outcome = route(draft(world))
    assert outcome.status is None
    assert outcome.errors[0][0] == rule.pk
    assert "not an open status" in outcome.errors[0][1]


def test_conflicting_actions_saved_past_the_admin_are_an_error(world: World) -> None:
    rule = make_rule(
        "Confused",
        actions=[
            (Kind.SET_DEPARTMENT, {"department": world.sales}),
            (Kind.SET_DEPARTMENT, {"department": world.support}),
        ],
    )
    outcome = route(draft(world))
    assert outcome.department is None
    assert outcome.errors[0][0] == rule.pk
    assert "Two different “Set department” actions" in outcome.errors[0][1]


def test_an_unexpected_exception_is_caught_and_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> tuple[str, ...]:
        raise ValueError("kaboom")

    monkeypatch.setattr(rules, "field_values", boom)
    broken = make_rule("Broken", [(Field.SUBJECT, Operator.CONTAINS, "x")], order=1)
    make_rule("Fine", actions=[(Kind.SET_DEPARTMENT, {"department": world.sales})], order=2)
    outcome = route(draft(world))
    assert outcome.department == world.sales
    assert outcome.errors == [(broken.pk, "Unexpected error: ValueError('kaboom')")]
    broken.refresh_from_db()
    assert "kaboom" in broken.last_error


# --- route: queries --------------------------------------------------------------------


def add_busy_rules(world: World, count: int) -> None:
    for n in range(count):
        make_rule(
            f"Rule {n}",
            [
                (Field.SUBJECT, Operator.CONTAINS, "printer"),
                (Field.TOPIC, Operator.EQUALS, "Printers"),
            ],
            [
                (Kind.SET_TOPIC, {"topic": world.topic}),
                (Kind.SET_DEPARTMENT, {"department": world.support}),
                (Kind.ASSIGN_AGENT, {"agent": world.agent}),
                (Kind.SET_SLA, {"sla": world.sla}),
            ],
        )


def test_route_reads_the_rules_in_four_queries_however_many_there_are(
    world: World, django_assert_num_queries: Any
) -> None:
    add_busy_rules(world, 2)
    # Fresh objects, as the caller would pass them.
    the_draft = draft(world)
    with django_assert_num_queries(4):  # rules, conditions, actions, agents' access
        assert len(route(the_draft).matches) == 2
    add_busy_rules(world, 25)
    with CaptureQueriesContext(connection) as queries:
        outcome = route(the_draft)
    assert len(outcome.matches) == 27
    assert outcome.agent == world.agent
    assert len(queries) == 4


def test_route_with_no_rules_is_one_query(world: World, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert route(draft(world)) == RuleOutcome()
