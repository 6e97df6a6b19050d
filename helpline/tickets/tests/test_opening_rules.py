"""The opening rules' registry (lifecycle.hooks) and what a refused opening leaves.

The rules here are plain functions put in the registry for one test: the lifecycle
knows rules only through it (helpline.automation fills it with its routing rules;
see automation/tests/test_registry.py)."""

from __future__ import annotations

import pytest
from django.apps import apps

from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import hooks
from helpline.tickets.lifecycle.hooks import OpeningDraft, RuleOutcome
from helpline.tickets.models import Collaborator, Event, EventKind, Priority, Ticket

from .test_open import assert_nothing_opened

NEWCOMER = "new.person@example.org"


def every_row() -> dict[str, int]:
    """How many rows each table of the site holds."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def use_rules(monkeypatch: pytest.MonkeyPatch, *rules: hooks.OpeningRule) -> None:
    monkeypatch.setattr(hooks, "opening_rules", list(rules))


def copy_in_a_newcomer(draft: OpeningDraft) -> RuleOutcome:
    return RuleOutcome(collaborators=[NEWCOMER])


def test_a_ticket_opens_as_asked_with_no_rules_registered(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_rules(monkeypatch)

    ticket = world.open()

    ticket.refresh_from_db()
    assert (ticket.department, ticket.topic) == (world.support, world.topic)
    assert ticket.priority.name == "Normal"
    kinds = set(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert EventKind.CREATED in kinds and EventKind.ROUTED not in kinds


def test_a_registered_rule_sees_the_draft_and_its_answer_applies(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[OpeningDraft] = []
    urgent = Priority.objects.order_by("-urgency").first()

    def raise_priority(draft: OpeningDraft) -> RuleOutcome:
        seen.append(draft)
        return RuleOutcome(priority=urgent, autorespond=False)

    use_rules(monkeypatch, raise_priority)

    ticket = world.open("Server down", body_html="<p>All of it.</p>")

    [draft] = seen
    assert (draft.subject, draft.body_text.strip(), draft.customer) == (
        "Server down",
        "All of it.",
        world.customer,
    )
    assert Ticket.objects.get(pk=ticket.pk).priority == urgent
    created = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert created.data["autorespond"] is False


def test_several_rules_combine_and_the_first_rejection_ends_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    later: list[OpeningDraft] = []

    def reject(draft: OpeningDraft) -> RuleOutcome:
        return RuleOutcome(reject_reason="No spam, please.")

    def never_reached(draft: OpeningDraft) -> RuleOutcome:
        later.append(draft)
        return RuleOutcome()

    use_rules(monkeypatch, copy_in_a_newcomer, reject, never_reached)

    with pytest.raises(lifecycle.Rejected, match="No spam, please"):
        world.open()

    assert later == []
    assert_nothing_opened()


def test_a_refused_opening_leaves_no_customer_a_rule_added_nor_any_other_row(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rule copies in somebody Helpline has never seen; the agent then assigns
    # the ticket to Bob, who has no access to Support: the opening is refused
    # after the rule's collaborator was created, and must take it back with it.
    use_rules(monkeypatch, copy_in_a_newcomer)
    before = every_row()

    with pytest.raises(lifecycle.Refused, match="has no access to the Support"):
        world.open(actor=world.admin, assignee=world.other_agent)

    assert not Customer.objects.filter(email__iexact=NEWCOMER).exists()
    assert every_row() == before


def test_a_rule_added_collaborator_is_created_with_the_ticket(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_rules(monkeypatch, copy_in_a_newcomer)

    ticket = world.open()

    [collaborator] = Collaborator.objects.filter(ticket=ticket).select_related("customer")
    assert collaborator.customer.email == NEWCOMER
