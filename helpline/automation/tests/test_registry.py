"""The routing rules reach the lifecycle through its registry, filled in ready()."""

from __future__ import annotations

from helpline.automation.models import Action, Kind, Rule
from helpline.automation.rules import route
from helpline.conftest import World
from helpline.tickets.lifecycle import hooks
from helpline.tickets.models import Ticket


def test_the_routing_rules_are_registered_once_django_is_set_up() -> None:
    assert hooks.opening_rules.count(route) == 1


def test_a_matching_rule_applies_to_a_ticket_the_lifecycle_opens(world: World) -> None:
    rule = Rule.objects.create(name="To sales")
    Action.objects.create(rule=rule, kind=Kind.SET_DEPARTMENT, department=world.sales)

    ticket = world.open()

    assert Ticket.objects.get(pk=ticket.pk).department == world.sales
