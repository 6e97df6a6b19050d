"""The walkthrough's world: Jane Doe (administrator), John Doe (agent), the customer
Ken and his three tickets, open and unassigned, as in the osTicket tutorial."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from helpline.accounts.customers import find_or_create_customer
from helpline.accounts.models import (
    Agent,
    AssignmentMode,
    Department,
    DepartmentAccess,
    Role,
    Team,
    User,
)
from helpline.sla.models import SLAPlan
from helpline.tickets import lifecycle
from helpline.tickets.defaults import ensure_defaults
from helpline.tickets.models import HelpTopic, Priority, TopicField

DEMO_PASSWORD = "helpline-demo"
DEMO_LOGINS = [
    ("Administrator", "jane.doe", "/desk/"),
    ("Agent", "john.doe", "/desk/"),
    ("Level II specialist", "mia.chen", "/desk/"),
    ("Customer", "ken@example.com", "/login/"),
]

KEN_TICKETS = [
    (
        "Critical Business Issue",
        "Order system down in every store",
        "Since 9:00 no store can enter orders: the order system shows “service "
        "unavailable”. Sales are stopped across the company.",
        {"impact": "Whole company"},
    ),
    (
        "Personal Computer Issues",
        "Laptop will not start after the update",
        "My laptop installed updates last night and now stops at a black screen. "
        "I have tried restarting twice.",
        {"asset_tag": "LT-0427"},
    ),
    (
        "General Inquiry",
        "Hardware refresh inquiry",
        "Our accounting department would like to replace its old tablets. What is "
        "the process for hardware updates, and who approves them?",
        {},
    ),
]


def _agent(username: str, first: str, last: str, role: Role) -> Agent:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@helpline.example",
        password=DEMO_PASSWORD,
        first_name=first,
        last_name=last,
    )
    return Agent.objects.create(user=user, role=role)


@transaction.atomic
def load_demo(*, with_tickets: bool = True) -> None:
    """Create the walkthrough's world; `with_tickets=False` leaves Ken's tickets for
    a test to open through the portal, as Ken does in the walkthrough."""
    ensure_defaults()
    critical = SLAPlan.objects.create(
        name="Critical 24/7", first_response_hours=Decimal("0.5"), resolution_hours=1
    )
    SLAPlan.objects.create(name="Default SLA", resolution_hours=18, is_default=True)

    jane = _agent("jane.doe", "Jane", "Doe", Role.ADMIN)
    john = _agent("john.doe", "John", "Doe", Role.AGENT)

    support = Department.objects.create(name="Support", manager=jane)
    it_ops = Department.objects.create(name="IT Operations", manager=jane, sla=critical)
    DepartmentAccess.objects.create(agent=john, department=support)
    DepartmentAccess.objects.create(agent=jane, department=support)
    DepartmentAccess.objects.create(agent=jane, department=it_ops)

    # The specialists critical cases escalate to (walkthrough step 9); John Doe
    # answers first-line tickets and is not one of them.
    mia = _agent("mia.chen", "Mia", "Chen", Role.SUPERVISOR)
    DepartmentAccess.objects.create(agent=mia, department=support)
    DepartmentAccess.objects.create(agent=mia, department=it_ops)
    level2 = Team.objects.create(
        name="Level II Support", lead=jane, assignment_mode=AssignmentMode.ROUND_ROBIN
    )
    level2.members.add(mia)

    priorities = {p.name: p for p in Priority.objects.all()}
    outage = HelpTopic.objects.create(
        name="Critical Business Issue",
        department=it_ops,
        priority=priorities["Emergency"],
        sla=critical,
        order=10,
    )
    TopicField.objects.create(
        topic=outage,
        key="impact",
        label="Who is affected?",
        kind=TopicField.Kind.CHOICE,
        choices="Whole company\nOne department\nOne person",
        required=True,
    )
    pc = HelpTopic.objects.create(
        name="Personal Computer Issues", department=support, priority=priorities["Normal"], order=20
    )
    TopicField.objects.create(
        topic=pc,
        key="asset_tag",
        label="Asset tag",
        help_text="The number on the sticker under the computer, if there is one.",
    )
    HelpTopic.objects.create(
        name="General Inquiry", department=support, priority=priorities["Low"], order=30
    )
    HelpTopic.objects.create(
        name="Internal: Hardware Procurement",
        department=support,
        is_public=False,
        order=90,
    )

    ken = find_or_create_customer(name="Ken Adams", email="ken@example.com", phone="555-0100")
    ken.user = User.objects.create_user(
        username="ken@example.com",
        email="ken@example.com",
        password=DEMO_PASSWORD,
        first_name="Ken",
        last_name="Adams",
    )
    ken.save()
    if not with_tickets:
        return
    topics = {t.name: t for t in HelpTopic.objects.all()}
    for topic, subject, body, extra in KEN_TICKETS:
        lifecycle.open_ticket(
            lifecycle.NewTicket(
                customer=ken,
                topic=topics[topic],
                subject=subject,
                body_html=f"<p>{body}</p>",
                extra=extra,
            ),
            actor=ken,
        )


def is_empty() -> bool:
    return not Agent.objects.exists()
