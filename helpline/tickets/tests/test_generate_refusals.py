"""`helpline demo generate` refuses what it cannot model before writing anything,
and a run after one that failed part way can still --append (issue 11's new-user
trial: an escalation level that assigns a team made it crash with a traceback,
and the world it had written made every later --append fail)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from helpline.accounts.models import Agent, Customer, Team
from helpline.sla.models import EscalationLevel, EscalationPolicy, SLAPlan
from helpline.tickets.demo import load_demo
from helpline.tickets.generate import GenerateError, generate
from helpline.tickets.models import Ticket

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def reassigning_level() -> EscalationLevel:
    load_demo(with_tickets=False)
    policy = EscalationPolicy.objects.create(name="Critical escalation")
    level = EscalationLevel.objects.create(
        policy=policy,
        order=1,
        name="To Level II",
        minutes=0,
        assign_team=Team.objects.get(name="Level II Support"),
    )
    SLAPlan.objects.filter(name="Critical 24/7").update(escalation_policy=policy)
    return level


def test_a_level_that_reassigns_is_refused_before_anything_is_written() -> None:
    reassigning_level()
    agents, customers = Agent.objects.count(), Customer.objects.count()
    with pytest.raises(
        GenerateError, match=r"Critical escalation.*To Level II.*nothing was written"
    ):
        generate(50, seed=3, now=NOW, append=True)
    assert (Agent.objects.count(), Customer.objects.count()) == (agents, customers)
    with pytest.raises(CommandError, match="assigns or transfers"):
        call_command("demo", "generate", "--tickets", "50", "--append", "--no-progress")


def test_append_works_after_a_run_that_failed_after_writing_its_world(
    monkeypatch: Any,
) -> None:
    load_demo(with_tickets=False)

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk filled up")

    # The world is written (and committed), then the stories fail.
    monkeypatch.setattr("helpline.tickets.generate.run.creation_times", fail)
    with pytest.raises(RuntimeError):
        generate(50, seed=3, now=NOW, append=True, parallel=False)
    assert Customer.objects.count() > 0 and not Ticket.objects.exists()
    monkeypatch.undo()

    generate(50, seed=3, now=NOW, append=True, parallel=False)
    assert Ticket.objects.count() == 50
