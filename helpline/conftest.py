"""Test fixtures shared by every app: a small world of people and reference data.

`world` has a customer, an administrator, two agents in different departments (a
supervisor in Support, an agent in Sales), an outsider customer, and a help topic
per department, so permission tests read as sentences.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from helpline.accounts.models import Agent, Customer, Department, DepartmentAccess, Role, Team, User
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.defaults import ensure_defaults
from helpline.tickets.models import HelpTopic, Priority, Status, Ticket

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM
# calls from such a thread unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HELPLINE_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    customer: Customer
    outsider: Customer
    admin: Agent
    supervisor: Agent  # supervisor in Support
    agent: Agent  # agent in Support
    other_agent: Agent  # agent in Sales only
    support: Department
    sales: Department
    team: Team
    topic: HelpTopic  # public, Support
    sales_topic: HelpTopic  # public, Sales
    sla: SLAPlan

    def open(self, subject: str = "Printer on fire", **kwargs: object) -> Ticket:
        """Open a ticket; `actor` (the customer unless given) and every field of
        `lifecycle.NewTicket` are keyword arguments."""
        actor = kwargs.pop("actor", self.customer)
        kwargs.setdefault("customer", self.customer)
        kwargs.setdefault("topic", self.topic)
        kwargs.setdefault("body_html", "<p>It is really on fire.</p>")
        new = lifecycle.NewTicket(subject=subject, **kwargs)  # type: ignore[arg-type]
        return lifecycle.open_ticket(new, actor=actor)  # type: ignore[arg-type]

    def status(self, name: str) -> Status:
        return Status.objects.get(name=name)


def make_agent(username: str, role: Role, *departments: Department) -> Agent:
    first, _, last = username.partition(".")
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        first_name=first.title(),
        last_name=last.title(),
    )
    agent = Agent.objects.create(user=user, role=role)
    for department in departments:
        DepartmentAccess.objects.create(agent=agent, department=department)
    return agent


def make_customer(name: str, email: str, *, login: bool = False) -> Customer:
    customer = Customer.objects.create(name=name, email=email)
    if login:
        customer.user = User.objects.create_user(username=email, email=email, password=PASSWORD)
        customer.save()
    return customer


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Rate-limit counters (in the "limits" cache) and everything else cached start
    from zero in every test."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture
def world(db: None) -> World:
    # Transactional tests (browser, threads) empty every table, migration data too.
    ensure_defaults()
    sla = SLAPlan.objects.create(name="Standard", resolution_hours=8, is_default=True)
    support = Department.objects.create(name="Support")
    sales = Department.objects.create(name="Sales")
    admin = make_agent("ada.admin", Role.ADMIN)
    supervisor = make_agent("sam.super", Role.SUPERVISOR, support)
    agent = make_agent("alice.agent", Role.AGENT, support)
    other = make_agent("bob.sales", Role.AGENT, sales)
    team = Team.objects.create(name="Level II", lead=supervisor)
    team.members.add(supervisor, agent)
    normal = Priority.objects.get(name="Normal")
    return World(
        customer=make_customer("Ken Adams", "ken@example.com", login=True),
        outsider=make_customer("Olive Outsider", "olive@example.org", login=True),
        admin=admin,
        supervisor=supervisor,
        agent=agent,
        other_agent=other,
        support=support,
        sales=sales,
        team=team,
        topic=HelpTopic.objects.create(name="Printers", department=support, priority=normal),
        sales_topic=HelpTopic.objects.create(name="Pricing", department=sales, priority=normal),
        sla=sla,
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """The system Chromium (Playwright cannot download its own browser here).

    A missing Chromium makes browser tests fail, never skip: `.ci/run` installs it.
    """
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
