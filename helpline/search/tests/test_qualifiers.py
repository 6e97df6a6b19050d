"""Every qualifier, its values and its refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from helpline.accounts.models import Organization
from helpline.conftest import World, make_customer
from helpline.search.query import BadSearch, parse
from helpline.search.service import search
from helpline.search.tests.helpers import index, numbers
from helpline.tickets import lifecycle
from helpline.tickets.models import Priority, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(world: World) -> dict[str, Ticket]:
    """Four tickets that differ in one respect each, all saying "router"."""
    acme = Organization.objects.create(name="Acme Corp")
    wile = make_customer("Wile Coyote", "wile@acme.example")
    wile.organization = acme
    wile.save()
    body = "<p>The router blinks.</p>"
    mine = world.open("Mine", body_html=body)
    lifecycle.assign(mine, actor=world.supervisor, agent=world.agent)
    teamed = world.open("Teamed", body_html=body)
    lifecycle.assign(teamed, actor=world.supervisor, team=world.team)
    acme_ticket = world.open("Acme", body_html=body, customer=wile, actor=wile)
    closed = world.open("Closed", body_html=body)
    lifecycle.close(closed, actor=world.agent)
    sales = world.open("Sales", body_html=body, topic=world.sales_topic)
    urgent = Priority.objects.exclude(name="Normal").order_by("-urgency").first()
    assert urgent is not None
    lifecycle.change_priority(acme_ticket, actor=world.agent, priority=urgent)
    lifecycle.add_note(
        teamed,
        actor=world.agent,
        body_html="<p>log</p>",
        uploads=[lifecycle.Upload("log.txt", "text/plain", b"x")],
    )
    index()
    return {"mine": mine, "teamed": teamed, "acme": acme_ticket, "closed": closed, "sales": sales}


def found(world: World, typed: str) -> set[str]:
    return {t.subject for t in Ticket.objects.filter(number__in=numbers(typed, agent=world.admin))}


@pytest.mark.parametrize(
    ("typed", "subjects"),
    [
        ("router state:open", {"Mine", "Teamed", "Acme", "Sales"}),
        ("router state:closed", {"Closed"}),
        ("router is:closed", {"Closed"}),
        ("router status:closed", {"Closed"}),
        ("router -state:closed", {"Mine", "Teamed", "Acme", "Sales"}),
        ("router assignee:alice.agent", {"Mine"}),
        ("router assignee:Alice", {"Mine"}),
        ('router assignee:"alice agent"', {"Mine"}),
        ("router assignee:none is:open", {"Teamed", "Acme", "Sales"}),
        ("router team:level", {"Teamed"}),
        ('router team:"Level II"', {"Teamed"}),
        ("router department:sales", {"Sales"}),
        ("router department:sup", {"Mine", "Teamed", "Acme", "Closed"}),
        ("router topic:pricing", {"Sales"}),
        ("router from:wile@acme.example", {"Acme"}),
        ("router from:acme.example", {"Acme"}),
        ("router from:@acme.example", {"Acme"}),
        ("router customer:coyote", {"Acme"}),
        ("router org:acme", {"Acme"}),
        ("router is:unassigned state:open", {"Acme", "Sales"}),
        ("router is:assigned", {"Mine", "Teamed"}),
        ("router has:attachment", {"Teamed"}),
        ("router department:sales,support state:closed", {"Closed"}),
        ("department:sales", {"Sales"}),  # qualifiers only
        ("org:acme -router", set()),
    ],
)
def test_each_qualifier_narrows_the_search(
    world: World, desk: dict[str, Ticket], typed: str, subjects: set[str]
) -> None:
    assert found(world, typed) == subjects


def test_priority_and_me(world: World, desk: dict[str, Ticket]) -> None:
    urgent = Ticket.objects.get(pk=desk["acme"].pk).priority
    assert found(world, f'router priority:"{urgent.name}"') == {"Acme"}
    assert numbers("router assignee:me", agent=world.agent) == [desk["mine"].number]
    assert numbers("router is:mine", agent=world.agent) == [desk["mine"].number]


def test_dates_and_ages(world: World) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=40), tick=False):
        old = world.open("Old router")
    new = world.open("New router")
    index()
    day = timezone.localdate(old.created_at).isoformat()
    assert numbers(f"router created:{day}", agent=world.admin) == [old.number]
    assert numbers(f"router created:<{day}", agent=world.admin) == []
    assert numbers(f"router created:>{day}", agent=world.admin) == [new.number]
    assert numbers(f"router created:>={day}", agent=world.admin, order="newest") == [
        new.number,
        old.number,
    ]
    assert numbers("router created:<7d", agent=world.admin) == [new.number]
    assert numbers("router created:>7d", agent=world.admin) == [old.number]
    assert numbers("router updated:<1w", agent=world.admin) == [new.number]
    today = timezone.localdate().isoformat()
    assert numbers(f"router created:{day}..{today}", agent=world.admin, order="newest") == [
        new.number,
        old.number,
    ]


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("router tag:vip", "no tags"),
        ("router colour:red", "Unknown filter “colour:”"),
        ("C:\\Windows", 'with a colon in it, put it in quotes: "C:\\Windows".'),
        ("re:invoice", 'put it in quotes: "re:invoice".'),
        ("router status:", "needs a value"),
        ("router status:nope", "No status is called “nope”"),
        ("router department:s", "could be more than one department"),
        ("router assignee:zed", "No agent is called “zed”"),
        ("router state:maybe", "open or closed"),
        ("router is:happy", "“is:” is one of"),
        ("router has:cats", "“has:” takes attachment"),
        ("router created:yesterday", "takes a day"),
        ("router created:2026-02-30", "takes a day"),
        ("router created:0001-01-01", "takes a day"),
        ("router created:<3000y", "looks back at most 100 years"),
        ("router created:2026-01-01..2025-01-01", "a range that ends before it starts"),
        ("router from:not an address", "takes an email address or a domain"),
        ("router priority:" + ",".join(["high"] * 11), "one to 10 values"),
        ("x " * 17, "at most 16 words"),
        ("status:open " * 13, "at most 12 filters"),
        ("x" * 501, "at most 500 characters"),
    ],
)
def test_what_cannot_run_is_explained(world: World, typed: str, says: str) -> None:
    with pytest.raises(BadSearch) as refused:
        search(typed, agent=world.admin)
    assert says in refused.value.message


def test_the_api_channel_has_no_me(world: World) -> None:
    """A channel key is nobody: "me" and "mine" are refused with a sentence that
    does not offer them."""
    with pytest.raises(BadSearch, match="needs an agent's key"):
        search("router assignee:me", channel=True)
    with pytest.raises(BadSearch) as refused:
        search("router is:mine", channel=True)
    assert "mine" not in refused.value.message.replace("is:mine", "")


def test_a_customer_may_use_only_the_customer_qualifiers(world: World) -> None:
    world.open("Router")
    index()
    assert numbers("router state:open", customer=world.customer)
    with pytest.raises(BadSearch, match="is for agents"):
        search("router department:support", customer=world.customer)
    # An unknown filter names only the customer's own.
    with pytest.raises(BadSearch) as refused:
        search("router foo:bar", customer=world.customer)
    assert "The filters are: created:, has:, state:, status:." in refused.value.message
    # Not updated: (a note or a transfer moves it: internal work would show).
    with pytest.raises(BadSearch, match="is for agents"):
        search("router updated:<1h", customer=world.customer)


def test_the_parser_keeps_phrases_exclusions_and_numbers_apart() -> None:
    parsed = parse('vpn "cannot connect" -printer -"out of toner" status:"on hold" 10:30')
    assert parsed.words == ["vpn", "10:30"]
    assert parsed.phrases == ["cannot connect"]
    assert parsed.excluded == ["printer", "out of toner"]
    assert parsed.qualifiers == [("status", "on hold", False)]
    assert parse("#123").number == "123" and parse("123 456").number is None
    assert parse("http://example.com/x").words == ["http://example.com/x"]
    # Pasted text: "Error:" is a word, not an unknown filter; a mail program's "Re:"
    # is no word of the subject.
    assert parse("Re: invoice Error: disk").words == ["invoice", "Error", "disk"]


def test_overdue_counts_only_open_tickets_past_due(world: World, desk: dict[str, Ticket]) -> None:
    Ticket.objects.filter(pk__in=[desk["mine"].pk, desk["closed"].pk]).update(is_overdue=True)
    assert found(world, "router is:overdue") == {"Mine"}
    assert found(world, "router -is:overdue state:open") == {"Teamed", "Acme", "Sales"}


def test_a_customer_has_attachment_counts_the_public_thread_only(world: World) -> None:
    """A file on an internal note is no attachment to the customer: `has:` would
    tell them a note exists."""
    noted = world.open("Router noted")
    lifecycle.add_note(
        noted,
        actor=world.agent,
        body_html="<p>log</p>",
        uploads=[lifecycle.Upload("secret-log.txt", "text/plain", b"x")],
    )
    sent = world.open(
        "Router sent",
        uploads=[lifecycle.Upload("photo.png", "image/png", b"\x89PNG\r\n\x1a\n")],
    )
    index()
    assert numbers("router has:attachment", customer=world.customer) == [sent.number]
    assert set(numbers("router has:attachment", agent=world.agent)) == {sent.number, noted.number}


def test_an_attachments_file_name_is_searchable_but_a_notes_only_by_agents(
    world: World,
) -> None:
    noted = world.open("Printer")
    lifecycle.add_note(
        noted,
        actor=world.agent,
        body_html="<p>see file</p>",
        uploads=[lifecycle.Upload("firmware-dump.txt", "text/plain", b"x")],
    )
    sent = world.open(
        "Scanner", uploads=[lifecycle.Upload("quarterly-scan.pdf", "application/pdf", b"%PDF-1.4")]
    )
    index()
    assert numbers("quarterly", agent=world.agent) == [sent.number]
    assert numbers("quarterly", customer=world.customer) == [sent.number]
    assert numbers("firmware", agent=world.agent) == [noted.number]
    assert numbers("firmware", customer=world.customer) == []


def test_statuses_and_priorities_go_by_the_names_the_pages_show(
    world: World, desk: dict[str, Ticket]
) -> None:
    """In German the desk shows "Geschlossen" and "Hoch": those are what an agent
    types. A name that is none says which there are."""
    from django.utils import translation

    high = Priority.objects.get(name="High")
    lifecycle.change_priority(desk["sales"], actor=world.admin, priority=high)
    with translation.override("de"):
        assert found(world, "router status:geschlossen") == {"Closed"}
        assert found(world, "router priority:hoch") == {"Sales"}
    assert found(world, "router priority:High") == {"Sales"}
    with pytest.raises(BadSearch) as refused:
        search("router priority:urgent", agent=world.admin)
    names = ", ".join(Priority.objects.order_by("name").values_list("name", flat=True))
    assert refused.value.message.endswith(f"The priorities: {names}.")


def test_a_name_is_found_by_the_start_of_any_of_its_words(
    world: World, desk: dict[str, Ticket]
) -> None:
    assert found(world, "router org:corp") == {"Acme"}  # "Acme Corp"
    assert found(world, 'router topic:"pricing"') == {"Sales"}


def test_customer_goes_by_words_of_the_name_the_address_or_the_phone(
    world: World, desk: dict[str, Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpline.search import filters

    assert found(world, 'router customer:"wile coyote"') == {"Acme"}
    assert found(world, "router customer:acme.example") == {"Acme"}
    assert found(world, "router customer:wile@acme.example") == {"Acme"}
    assert found(world, "router customer:yo") == {"Acme"}  # two letters: the name
    monkeypatch.setattr(filters, "MAX_CUSTOMERS", 1)
    make_customer("Wile Two", "two@acme.example")
    with pytest.raises(BadSearch, match="More than 1 customers match “wile”"):
        search("router customer:wile", agent=world.admin)


def test_attachments_carry_their_ticket_and_migration_0018_fills_it(
    world: World, desk: dict[str, Ticket]
) -> None:
    """`has:attachment` reads the attachments' own ticket column: filled on save,
    and for attachments written before it by migration tickets 0018."""
    from importlib import import_module

    from django.db import connection

    from helpline.tickets.models import Attachment

    attachment = Attachment.objects.get()
    assert attachment.ticket_id == desk["teamed"].pk
    Attachment.objects.update(ticket=None)
    assert found(world, "router has:attachment") == set()
    migration = import_module("helpline.tickets.migrations.0018_attachment_ticket").Migration
    with connection.cursor() as cursor:
        cursor.execute(migration.operations[1].sql)
    assert found(world, "router has:attachment") == {"Teamed"}


def test_a_customer_goes_by_the_status_names_the_portal_shows(world: World) -> None:
    """Agents' status names may be internal; a customer's `status:` matches the
    names the portal shows them, and a name that is none lists only those."""
    from helpline.tickets.models import State, Status

    fraud = Status.objects.create(
        name="Fraud review (legal)", state=State.OPEN, customer_label="In progress", order=50
    )
    ticket = world.open("Router")
    lifecycle.change_status(ticket, actor=world.admin, status=fraud)
    index()
    assert numbers("router status:progress", customer=world.customer) == [ticket.number]
    with pytest.raises(BadSearch) as refused:
        search("router status:fraud", customer=world.customer)
    assert "Fraud" not in refused.value.message
    assert "in progress" in refused.value.message.lower()
    assert numbers("router status:fraud", agent=world.admin) == [ticket.number]


def test_customer_words_too_short_for_the_index_still_narrow(
    world: World, desk: dict[str, Ticket]
) -> None:
    other = make_customer("Al Coyote", "al@roadrunner.example")
    world.open("Router", body_html="<p>The router blinks.</p>", customer=other, actor=other)
    index()
    assert found(world, "router customer:coyote") == {"Acme", "Router"}
    assert found(world, 'router customer:"al coyote"') == {"Router"}
