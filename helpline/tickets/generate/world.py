"""The people and the desk's setup behind generated history: the walkthrough's world
(Jane, John, Mia, Ken, its departments, topics and plans) and more of each.

Everything here is looked up by name before it is made, so `--append` reuses what
an earlier run (or `helpline demo`) created. Customers and organizations are
written in bulk, numbered so that a name and an address follow from an index:
the stories pick a customer by index and never hold the list.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from helpline.accounts.models import (
    Agent,
    Customer,
    Department,
    DepartmentAccess,
    Organization,
    Role,
    Team,
    User,
)
from helpline.sla.models import (
    BusinessSchedule,
    EscalationLevel,
    EscalationPolicy,
    ScheduleSpan,
    SLAPlan,
    Target,
    Trigger,
)
from helpline.tickets.demo import DEMO_PASSWORD, is_empty, load_demo
from helpline.tickets.generate.writer import Table
from helpline.tickets.lifecycle.clock import plan_for
from helpline.tickets.models import HelpTopic, Priority, Status, StatusPurpose

FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "David",
    "Elif",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Marco",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bruno",
    "Carla",
    "Dmitri",
]
LAST_NAMES = [
    "Adams",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vargas",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
]

# name, reopen window days, auto-close days
DEPARTMENTS = [
    ("Billing", 14, 7),
    ("Sales", 30, 10),
    ("Facilities", None, 5),
    ("Human Resources", 30, None),
]
TEAMS = ["Network", "Field Service", "Accounts"]
AGENTS = 40
SUPERVISORS = 4

# topic, department, priority, plan (None: the department's or the default), weight,
# subjects. The walkthrough's topics come first (they exist already).
TOPICS: list[tuple[str, str, str | None, str | None, int, tuple[str, ...]]] = [
    (
        "Critical Business Issue",
        "IT Operations",
        "Emergency",
        None,
        2,
        ("Order system down", "Payments failing at checkout", "Website unreachable"),
    ),
    (
        "Personal Computer Issues",
        "Support",
        "Normal",
        None,
        18,
        ("Laptop will not start", "Screen flickers", "Keyboard not working", "Slow computer"),
    ),
    (
        "General Inquiry",
        "Support",
        "Low",
        None,
        12,
        ("Question about my account", "Hardware refresh inquiry", "How do I export data?"),
    ),
    (
        "Internal: Hardware Procurement",
        "Support",
        None,
        None,
        3,
        ("New monitor for the design team", "Replacement docking station"),
    ),
    (
        "Password Reset",
        "Support",
        "Normal",
        "Priority 4h",
        14,
        ("Locked out of my account", "Password expired", "Two-factor code lost"),
    ),
    (
        "Network and VPN",
        "IT Operations",
        "High",
        "Priority 4h",
        8,
        ("VPN drops every hour", "No Wi-Fi on the third floor", "Cannot reach file share"),
    ),
    (
        "Email and Calendar",
        "IT Operations",
        "Normal",
        None,
        8,
        ("Mail stuck in outbox", "Shared calendar missing", "Spam getting through"),
    ),
    (
        "Invoice Question",
        "Billing",
        "Normal",
        "Business 2 days",
        10,
        ("Invoice amount looks wrong", "Need a copy of last invoice", "VAT number missing"),
    ),
    (
        "Refund Request",
        "Billing",
        "High",
        "Business 2 days",
        5,
        ("Refund for duplicate charge", "Cancelled order not refunded"),
    ),
    (
        "Quote Request",
        "Sales",
        "Low",
        None,
        6,
        ("Quote for 50 licences", "Volume discount?", "Upgrade pricing"),
    ),
    (
        "Office and Building",
        "Facilities",
        "Low",
        None,
        5,
        ("Heating broken in room 2.14", "Badge does not open the door", "Leaking tap"),
    ),
    (
        "Leave and Payroll",
        "Human Resources",
        "Normal",
        "Business 2 days",
        4,
        ("Payslip missing", "Holiday balance wrong", "Parental leave question"),
    ),
]


@dataclass(frozen=True)
class TopicInfo:
    id: int
    name: str
    department_id: int
    priority_id: int
    plan: SLAPlan | None
    sla_from: str
    subjects: tuple[str, ...]


@dataclass
class World:
    """What the stories pick from: ids and names, read once."""

    topics: list[TopicInfo]
    topic_weights: list[int]
    # department id -> [(agent id, name)] of agents who work its queue
    department_agents: dict[int, list[tuple[int, str]]]
    departments: dict[int, Department]
    statuses: dict[str, Status]  # by purpose ("new", "resolved", "closed") and by name
    priorities: dict[int, Priority]
    teams: list[tuple[int, str]]
    customers_first_id: int
    customers: int
    plans: list[SLAPlan] = field(default_factory=list)


def customer_name(index: int) -> str:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first} {last}"


def _schedule() -> BusinessSchedule:
    schedule, made = BusinessSchedule.objects.get_or_create(
        name="Office hours Berlin", defaults={"time_zone": "Europe/Berlin"}
    )
    if made:
        ScheduleSpan.objects.bulk_create(
            ScheduleSpan(schedule=schedule, weekday=day, start_time=time(9), end_time=time(17))
            for day in range(5)
        )
    return schedule


def _policy(priorities: dict[str, Priority]) -> EscalationPolicy:
    policy, made = EscalationPolicy.objects.get_or_create(name="Standard escalation")
    if made:
        EscalationLevel.objects.create(
            policy=policy,
            order=1,
            target=Target.RESOLUTION,
            trigger=Trigger.BEFORE_DUE,
            percent=75,
            notify_manager=False,
        )
        EscalationLevel.objects.create(
            policy=policy,
            order=2,
            name="Overdue",
            target=Target.RESOLUTION,
            trigger=Trigger.AFTER_DUE,
            minutes=60,
            raise_priority_to=priorities["High"],
        )
    return policy


def _plans(priorities: dict[str, Priority]) -> dict[str, SLAPlan]:
    policy = _policy(priorities)
    plans = {
        "Priority 4h": dict(
            first_response_hours=Decimal(1),
            resolution_hours=Decimal(4),
            grace_minutes=15,
            escalation_policy=policy,
        ),
        "Business 2 days": dict(
            first_response_hours=Decimal(4),
            resolution_hours=Decimal(16),
            business_schedule=_schedule(),
            escalation_policy=policy,
        ),
    }
    for name, values in plans.items():
        if not SLAPlan.objects.filter(name=name).exists():
            SLAPlan(name=name, **values).save()  # save(): pause statuses are set there
    return {p.name: p for p in SLAPlan.objects.all()}


def _agents(rng: random.Random, departments: list[Department], teams: list[Team]) -> None:
    have = set(User.objects.filter(username__startswith="agent").values_list("username", flat=True))
    password = make_password(DEMO_PASSWORD)  # hashed once: argon2 is slow on purpose
    for n in range(1, AGENTS + 1):
        username = f"agent{n:02d}"
        if username in have:
            continue
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user = User.objects.create(
            username=username,
            email=f"{username}@helpline.example",
            password=password,
            first_name=first,
            last_name=last,
        )
        agent = Agent.objects.create(
            user=user, role=Role.SUPERVISOR if n <= SUPERVISORS else Role.AGENT
        )
        for department in rng.sample(departments, rng.choice((1, 1, 2, 3))):
            DepartmentAccess.objects.create(agent=agent, department=department)
        if rng.random() < 0.4:
            rng.choice(teams).members.add(agent)


def _customers(count: int, tag: str, now: datetime) -> tuple[int, int]:
    """`count` customers (a tenth without an organization's domain) and their
    organizations, in bulk; returns (first id, count). Ids are consecutive."""
    orgs = Table(Organization)
    org_count = max(count // 40, 1)
    first_org = orgs.next_id
    for i in range(org_count):
        orgs.add(id=orgs.take_id(), name=f"Organization {tag}{i:05d}", domain="")
    orgs.flush()
    people = Table(Customer)
    first = people.next_id
    created = now - timedelta(days=400)
    for i in range(count):
        people.add(
            id=people.take_id(),
            name=customer_name(i),
            email=f"c{i}.{tag}@example.net",
            organization_id=first_org + i % org_count if i % 10 else None,
            created_at=created,
        )
        if len(people.rows) >= 5000:
            people.flush()
    people.flush()
    return first, count


@transaction.atomic
def build_world(rng: random.Random, tickets: int, tag: str, now: datetime) -> World:
    if is_empty():
        load_demo(with_tickets=False)
    priorities = {p.name: p for p in Priority.objects.all()}
    plans = _plans(priorities)
    departments = list(Department.objects.all())
    for name, reopen, auto_close in DEPARTMENTS:
        if not any(d.name == name for d in departments):
            departments.append(
                Department.objects.create(
                    name=name, reopen_window_days=reopen, auto_close_days=auto_close
                )
            )
    teams = list(Team.objects.filter(is_active=True))
    for name in TEAMS:
        if not any(t.name == name for t in teams):
            teams.append(Team.objects.create(name=name))
    _agents(rng, departments, teams)
    by_name = {d.name: d for d in departments}
    loaded = _loaded_plans()
    topics = []
    weights = []
    for name, dept, priority, plan, weight, subjects in TOPICS:
        topic = HelpTopic.objects.filter(name=name).first()
        if topic is None:
            topic = HelpTopic.objects.create(
                name=name,
                department=by_name[dept],
                priority=priorities[priority] if priority else None,
                sla=plans[plan] if plan else None,
            )
        topic = HelpTopic.objects.select_related("sla", "department__sla").get(pk=topic.pk)
        found, source = plan_for(topic, topic.department)
        default_priority = priorities["Normal"]
        topics.append(
            TopicInfo(
                id=topic.pk,
                name=topic.name,
                department_id=topic.department_id,
                priority_id=topic.priority_id or default_priority.pk,
                plan=same_plan(loaded, found),
                sla_from=source,
                subjects=subjects,
            )
        )
        weights.append(weight)
    workers: dict[int, list[tuple[int, str]]] = {d.pk: [] for d in departments}
    for access in DepartmentAccess.objects.select_related("agent__user").order_by("pk"):
        if access.agent.is_active:
            workers[access.department_id].append((access.agent_id, access.agent.name))
    statuses: dict[str, Status] = {s.name: s for s in Status.objects.all()}
    for purpose in (StatusPurpose.NEW, StatusPurpose.RESOLVED, StatusPurpose.CLOSED):
        statuses[purpose.value] = Status.objects.get(purpose=purpose)
    first, count = _customers(max(tickets // 4, 10), tag, now)
    return World(
        topics=topics,
        topic_weights=weights,
        department_agents=workers,
        departments={d.pk: Department.objects.get(pk=d.pk) for d in departments},
        statuses=statuses,
        priorities={p.pk: p for p in priorities.values()},
        teams=[(t.pk, t.name) for t in teams],
        customers_first_id=first,
        customers=count,
        plans=loaded,
    )


def _loaded_plans() -> list[SLAPlan]:
    """The plans with what the clock math reads cached on each object (schedule,
    pause statuses, escalation levels), so no story queries."""
    from helpline.tickets import deadlines

    plans = list(
        SLAPlan.objects.select_related("business_schedule", "escalation_policy").prefetch_related(
            "business_schedule__spans", "business_schedule__holidays"
        )
    )
    for plan in plans:
        plan.schedule_view()
        deadlines.pause_status_ids(plan)
        for level in deadlines.levels_of(plan):
            level.raise_priority_to  # noqa: B018 - read now: the stories never query
    return plans


def same_plan(plans: list[SLAPlan], plan: SLAPlan | None) -> SLAPlan | None:
    """The loaded (cached) copy of `plan`."""
    if plan is None:
        return None
    return next(p for p in plans if p.pk == plan.pk)
