"""`helpline demo generate`: the generated history is what the lifecycle would have
left behind. Every counter and denormalized column equals a recount from the rows,
the SLA sweep finds nothing left to do, lifecycle operations run on the tickets,
the pages answer, and a seed replays the same rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Aggregate, Count, Max, Min
from django.test import Client
from django.urls import reverse

from helpline.accounts.models import Agent, Department, Role
from helpline.sla.models import ClockPause, EscalationFired, SLAPlan, Target
from helpline.tickets import deadlines, lifecycle
from helpline.tickets.generate import GenerateError, generate
from helpline.tickets.generate.numbers import NumberSource, Permutation
from helpline.tickets.models import (
    Attachment,
    Entry,
    EntryKind,
    Event,
    EventKind,
    IssuedNumber,
    Rating,
    State,
    Status,
    StatusPurpose,
    Ticket,
)

from .helpers import actual, assert_counters_true, counted

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
SMALL = 300


def make(n: int = SMALL, **kwargs: Any) -> None:
    generate(n, seed=kwargs.pop("seed", 7), now=kwargs.pop("now", NOW), **kwargs)


def tickets() -> list[Ticket]:
    return list(Ticket.objects.select_related("status", "sla").order_by("pk"))


def per_ticket(qs: Any, value: Aggregate) -> dict[int, Any]:
    return {r["ticket_id"]: r["v"] for r in qs.values("ticket_id").annotate(v=value).order_by()}


# --- a recount ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_counters_equal_a_count_of_the_tickets() -> None:
    make()

    assert Ticket.objects.count() == SMALL
    assert counted() == actual()
    assert sum(counted().values()) == SMALL


@pytest.mark.django_db
def test_every_denormalized_column_equals_a_recount_from_the_rows() -> None:
    make()
    messages = per_ticket(Entry.objects.filter(kind=EntryKind.MESSAGE), Max("created_at"))
    replies = per_ticket(
        Entry.objects.filter(kind=EntryKind.REPLY, agent__isnull=False), Max("created_at")
    )
    reopened = per_ticket(Event.objects.filter(kind=EventKind.REOPENED), Count("pk"))
    changed = per_ticket(Event.objects.exclude(kind=EventKind.RATED), Max("created_at"))
    resolved = per_ticket(Event.objects.filter(kind=EventKind.RESOLVED), Max("created_at"))
    closed = per_ticket(Event.objects.filter(kind=EventKind.CLOSED), Max("created_at"))
    first = per_ticket(Event.objects.filter(data__first_response=True), Min("created_at"))
    level = per_ticket(EscalationFired.objects.all(), Max("level__order"))
    entries = per_ticket(Entry.objects.all(), Count("pk"))
    assignments = _last_assignment()

    for t in tickets():
        assert t.state == t.status.state
        assert t.last_message_at == messages[t.pk]
        assert t.last_response_at == replies.get(t.pk)
        assert t.reopen_count == reopened.get(t.pk, 0)
        assert t.updated_at == changed[t.pk]
        assert t.first_response_at == first.get(t.pk)
        assert t.escalation_level == level.get(t.pk, 0)
        assert (t.assignee_id, t.team_id) == assignments[t.pk]
        assert 1 <= entries[t.pk] <= 30
        assert t.is_overdue == deadlines.standing_breach(t)
        if t.status.purpose == StatusPurpose.RESOLVED:
            assert (t.resolved_at, t.closed_at) == (resolved[t.pk], None)
        if t.status.purpose == StatusPurpose.CLOSED:
            assert t.closed_at == closed[t.pk]
        if t.state == State.OPEN:
            assert (t.resolved_at, t.closed_at) == (None, None)
        else:
            assert (t.is_overdue, t.sla_alarm_at) == (False, None)


@pytest.mark.django_db
def test_each_tickets_events_replay_to_its_status_and_priority() -> None:
    make()
    moves = [EventKind.STATUS, EventKind.RESOLVED, EventKind.CLOSED, EventKind.REOPENED]
    status: dict[int, int] = {}
    priority: dict[int, int] = {}
    created = Counter(
        Event.objects.filter(kind=EventKind.CREATED).values_list("ticket_id", flat=True)
    )
    for e in Event.objects.order_by("created_at", "pk"):
        if e.kind == EventKind.CREATED:
            priority[e.ticket_id] = e.data["priority"]
        elif e.kind in moves:
            assert e.data["old"] == status.get(e.ticket_id, e.data["old"])
            status[e.ticket_id] = e.data["new"]
        elif e.kind == EventKind.EDITED and e.field == "priority":
            assert e.data["old"] == priority[e.ticket_id]
            priority[e.ticket_id] = e.data["new"]
    new = lifecycle_status(StatusPurpose.NEW)

    for t in tickets():
        assert created[t.pk] == 1
        assert t.status_id == status.get(t.pk, new)
        assert t.priority_id == priority[t.pk]


def lifecycle_status(purpose: StatusPurpose) -> int:
    return Status.objects.get(purpose=purpose).pk


def _last_assignment() -> dict[int, tuple[int | None, int | None]]:
    found: dict[int, list[int | None]] = defaultdict(lambda: [None, None])
    for e in Event.objects.filter(kind=EventKind.ASSIGNED).order_by("created_at", "pk"):
        found[e.ticket_id][0 if e.field == "agent" else 1] = e.data["new"]
    return {pk: (found[pk][0], found[pk][1]) for pk in Ticket.objects.values_list("pk", flat=True)}


@pytest.mark.django_db
def test_each_clock_is_what_the_sla_functions_compute_from_its_rows() -> None:
    make()
    pauses: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for p in ClockPause.objects.order_by("started_at"):
        pauses[p.ticket_id].append((p.started_at, p.ended_at))
    fired: dict[int, list[int]] = defaultdict(list)
    for f in EscalationFired.objects.all():
        fired[f.ticket_id].append(f.level_id)
    plans = {p.pk: p for p in SLAPlan.objects.all()}

    for t in tickets():
        plan = plans.get(t.sla_id) if t.sla_id else None
        open_pauses = [p for p in pauses[t.pk] if p[1] is None]
        # A pause stands while the ticket's clock stands (closed while paused keeps it).
        assert len(open_pauses) == (t.sla_paused_at is not None)
        if t.sla_paused_at is not None:
            assert open_pauses[0][0] == t.sla_paused_at
        if plan is None:
            assert (t.due_at, t.first_response_due_at, t.sla_alarm_at) == (None, None, None)
            continue
        assert t.sla_started_at is not None
        ended = [
            plan.seconds_between(a, b)
            for a, b in pauses[t.pk]
            if b is not None and a >= t.sla_started_at
        ]
        # Each resumed pause is rounded to a second as it ends.
        assert abs(t.sla_paused_seconds - sum(ended)) <= len(ended)
        assert t.due_at == deadlines.target_due(t, plan, Target.RESOLUTION)
        if t.first_response_at is None:
            assert t.first_response_due_at == deadlines.target_due(t, plan, Target.FIRST_RESPONSE)
        assert t.sla_alarm_at == deadlines.next_alarm(t, plan, fired[t.pk])
        assert t.sla_alarm_at is None or t.sla_alarm_at > NOW


@pytest.mark.django_db
def test_the_sla_sweep_finds_nothing_left_to_do_at_the_generators_now() -> None:
    make()
    before = Event.objects.count()
    versions = dict(Ticket.objects.values_list("pk", "version"))

    for pk in Ticket.objects.filter(state=State.OPEN).values_list("pk", flat=True):
        lifecycle.sla_tick(Ticket(pk=pk), now=NOW)

    assert Event.objects.count() == before
    assert dict(Ticket.objects.values_list("pk", "version")) == versions


@pytest.mark.django_db
def test_the_history_has_every_status_misses_escalations_and_ratings() -> None:
    make()

    statuses = set(Ticket.objects.values_list("status__name", flat=True))
    assert statuses >= {
        "Open",
        "In Progress",
        "Pending Customer Reply",
        "On Hold",
        "Resolved",
        "Closed",
    }
    kinds = Counter(Event.objects.values_list("kind", flat=True))
    for kind in (
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.REPLIED,
        EventKind.CUSTOMER_REPLIED,
        EventKind.NOTE,
        EventKind.RESOLVED,
        EventKind.CLOSED,
        EventKind.REOPENED,
        EventKind.OVERDUE,
        EventKind.ESCALATED,
        EventKind.RATED,
    ):
        assert kinds[kind] > 0, kind
    assert Ticket.objects.filter(is_overdue=True).exists()
    assert Ticket.objects.filter(reopen_count__gt=0).exists()
    assert Attachment.objects.exists()
    # Every resolution carries what the reports average.
    for data in Event.objects.filter(kind=EventKind.RESOLVED).values_list("data", flat=True):
        assert {"seconds", "business_seconds"} <= data.keys()
    for rating in Rating.objects.select_related("resolution"):
        assert rating.resolution.kind == EventKind.RESOLVED
        assert rating.resolution.ticket_id == rating.ticket_id
        assert rating.agent_id == rating.resolution.agent_id
    created = Ticket.objects.aggregate(a=Min("created_at"), b=Max("created_at"))
    assert NOW - timedelta(days=366) < created["a"] < created["b"] < NOW


# --- numbers ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_numbers_are_unique_six_digits_and_all_issued() -> None:
    make()

    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == SMALL
    assert all(len(n) == 6 and n.isdigit() for n in numbers)
    assert set(IssuedNumber.objects.values_list("number", flat=True)) == set(numbers)


def test_a_million_numbers_are_unique_and_widen_when_six_digits_are_half_used() -> None:
    source = NumberSource(seed=3, used={})
    numbers = [source.next() for _ in range(1_000_000)]

    assert len(set(numbers)) == 1_000_000
    assert Counter(len(n) for n in numbers) == {6: 500_000, 7: 500_000}
    assert all(n.isdigit() for n in numbers)
    # Existing numbers count towards the half: an install with 500,000 starts at 7.
    assert len(NumberSource(seed=3, used={6: 500_000}).next()) == 7


def test_the_permutation_is_a_bijection_of_its_range() -> None:
    permutation = Permutation(1000, key=42)
    assert sorted(permutation(i) for i in range(1000)) == list(range(1000))


# --- refusals and appending ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_database_that_holds_tickets_unless_appending() -> None:
    make(40)

    with pytest.raises(GenerateError, match=r"holds tickets already.*--append"):
        make(10)
    assert Ticket.objects.count() == 40

    make(25, append=True)
    assert Ticket.objects.count() == 65
    assert Ticket.objects.values("number").distinct().count() == 65
    assert IssuedNumber.objects.count() == 65
    assert_counters_true()


@pytest.mark.django_db
@pytest.mark.parametrize("n", [0, -1, 10_000_001])
def test_it_refuses_a_number_of_tickets_out_of_bounds(n: int) -> None:
    with pytest.raises(CommandError, match=r"between 1 and 10,000,000"):
        call_command("demo", "generate", "--tickets", str(n), "--no-progress")
    assert not Agent.objects.exists()


@pytest.mark.django_db
def test_plain_demo_still_loads_the_walkthrough() -> None:
    call_command("demo")

    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Hardware refresh inquiry",
        "Laptop will not start after the update",
        "Order system down in every store",
    ]


@pytest.mark.django_db
def test_the_command_generates_with_a_fixed_now() -> None:
    call_command(
        "demo",
        "generate",
        "--tickets",
        "30",
        "--seed",
        "2",
        "--now",
        "2026-06-01T00:00",
        "--no-progress",
    )

    assert Ticket.objects.count() == 30
    assert Ticket.objects.aggregate(m=Max("created_at"))["m"] < datetime(2026, 6, 1, tzinfo=UTC)


# --- the same seed ---------------------------------------------------------------------


class _Undo(Exception):
    pass


def _snapshot(seed: int, parallel: bool = True) -> tuple[list[Any], list[Any]]:
    try:
        with transaction.atomic():
            make(120, seed=seed, parallel=parallel)
            rows = list(
                Ticket.objects.order_by("number").values_list(
                    "number",
                    "subject",
                    "customer__email",
                    "status__name",
                    "assignee__user__username",
                    "created_at",
                    "updated_at",
                    "due_at",
                    "sla_alarm_at",
                    "is_overdue",
                    "version",
                )
            )
            events = list(
                Event.objects.order_by("ticket__number", "created_at", "pk").values_list(
                    "ticket__number", "kind", "created_at", "field", "old_value", "new_value"
                )
            )
            raise _Undo
    except _Undo:
        pass
    return rows, events


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    first = _snapshot(seed=11)
    again = _snapshot(seed=11)
    in_one_process = _snapshot(seed=11, parallel=False)
    other = _snapshot(seed=12)

    assert first == again == in_one_process
    assert first[0] != other[0]


# --- the lifecycle and the pages on generated tickets ------------------------------------------


def _admin() -> Agent:
    return Agent.objects.select_related("user").get(user__username="jane.doe")


@pytest.mark.django_db
def test_lifecycle_operations_on_generated_tickets_keep_the_counters_true() -> None:
    make()
    admin = _admin()
    sales = Department.objects.get(name="Sales")
    agent = Agent.objects.filter(role=Role.AGENT, access__department=sales).first()
    assert agent is not None
    open_ticket = Ticket.objects.filter(state=State.OPEN).order_by("pk").first()
    resolved = Ticket.objects.filter(status__purpose=StatusPurpose.RESOLVED).first()
    closed = Ticket.objects.filter(status__purpose=StatusPurpose.CLOSED).first()
    assert open_ticket and resolved and closed

    t = lifecycle.reply(open_ticket, actor=admin, body_html="<p>On it.</p>")
    assert_counters_true()
    t = lifecycle.transfer(t, actor=admin, department=sales)
    assert_counters_true()
    t = lifecycle.assign(t, actor=admin, agent=agent)
    assert_counters_true()
    t = lifecycle.resolve(t, actor=agent, explanation_html="<p>Done.</p>")
    assert_counters_true()
    t = lifecycle.customer_reply(t, actor=t.customer, body_html="<p>Not quite.</p>")
    assert t.is_open
    assert_counters_true()
    r = lifecycle.customer_reply(resolved, actor=resolved.customer, body_html="<p>Again</p>")
    assert_counters_true()
    lifecycle.close(r, actor=admin)
    lifecycle.reopen(closed, actor=admin)
    assert_counters_true()
    for pk in Ticket.objects.filter(state=State.OPEN).values_list("pk", flat=True):
        lifecycle.sla_tick(Ticket(pk=pk), now=NOW + timedelta(days=3))
    assert_counters_true()
    # New tickets draw numbers beside the generated ones.
    new = lifecycle.open_ticket(
        lifecycle.NewTicket(
            customer=t.customer, subject="One more", body_html="<p>x</p>", department=sales
        ),
        actor=admin,
    )
    assert Ticket.objects.filter(number=new.number).count() == 1
    assert_counters_true()


@pytest.mark.django_db
def test_the_dashboard_a_ticket_page_and_the_reports_answer(client: Client) -> None:
    make()
    client.force_login(_admin().user)
    client.raise_request_exception = True
    ticket = Ticket.objects.annotate(n=Count("entries")).order_by("-n").first()
    assert ticket is not None

    assert client.get(reverse("desk:dashboard")).status_code == 200
    assert client.get(reverse("desk:queue", args=["closed"])).status_code == 200
    assert client.get(reverse("desk:ticket", args=[ticket.number])).status_code == 200
    assert client.get(reverse("reports:page")).status_code == 200
    year = "?start=2025-12-01&end=2026-11-30&group=agent"
    assert client.get(reverse("reports:page") + year).status_code == 200
    assert client.get(reverse("reports:data") + year).status_code == 200


@pytest.mark.django_db
def test_a_generated_attachment_without_its_file_answers_404(client: Client) -> None:
    make()
    client.force_login(_admin().user)
    attachment = Attachment.objects.select_related("entry__ticket").first()
    assert attachment is not None

    url = reverse("desk:attachment", args=[attachment.entry.ticket.number, attachment.pk])
    assert client.get(url).status_code == 404
    # The same page with the file in place: the 404 was the missing file, not the lookup.
    storage = attachment.file.storage
    assert storage.save(attachment.file.name, ContentFile(b"log")) == attachment.file.name
    try:
        assert client.get(url).status_code == 200
    finally:
        storage.delete(attachment.file.name)


@pytest.mark.django_db
def test_new_customers_and_organizations_after_generating_get_fresh_ids() -> None:
    """The generator hands out their ids itself: PostgreSQL's sequences must be
    moved past them, or the next customer (a new ticket's) fails on a duplicate key."""
    from helpline.accounts.models import Customer, Organization

    make()
    highest = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()

    organization = Organization.objects.create(name="Newcomers Ltd")
    customer = Customer.objects.create(name="New Person", email="new.person@example.com")

    assert highest is not None and customer.pk > highest
    assert organization.pk is not None
