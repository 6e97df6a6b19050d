"""The agent desk through Django's test client: login, queues, the ticket page and
its actions, permission 404s, refused changes and conflicting edits."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from helpline.accounts.models import Agent
from helpline.conftest import PASSWORD, World
from helpline.tickets import lifecycle
from helpline.tickets.models import EntryKind, EventKind, Source, Ticket

pytestmark = pytest.mark.django_db


def login(client: Client, agent: Agent) -> Client:
    client.force_login(agent.user)
    return client


def act(client: Client, ticket: Ticket, action: str, **data: object):
    data.setdefault("version", ticket.version)
    return client.post(reverse("desk:action", args=[ticket.number, action]), data)


# --- login ----------------------------------------------------------------------------


def test_the_desk_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    response = client.get(reverse("desk:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("desk:login"))


def test_an_agent_signs_in_and_lands_on_the_dashboard(client: Client, world: World) -> None:
    response = client.post(
        reverse("desk:login"), {"username": "alice.agent", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert b"My Tickets" in response.content


def test_a_wrong_password_is_refused_with_a_message_and_keeps_the_username(
    client: Client, world: World
) -> None:
    response = client.post(reverse("desk:login"), {"username": "alice.agent", "password": "nope"})
    assert response.status_code == 400
    assert b"do not match an active agent" in response.content
    assert b'value="alice.agent"' in response.content


def test_a_customer_cannot_sign_in_to_the_desk(client: Client, world: World) -> None:
    response = client.post(
        reverse("desk:login"), {"username": "ken@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert client.get(reverse("desk:dashboard")).status_code == 302


def test_repeated_failed_logins_lock_the_account_for_a_while(client: Client, world: World) -> None:
    for _ in range(5):
        client.post(reverse("desk:login"), {"username": "alice.agent", "password": "wrong"})
    response = client.post(reverse("desk:login"), {"username": "alice.agent", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Signing in is paused" in response.content


# --- queues ---------------------------------------------------------------------------


def test_queues_show_counts_and_only_visible_tickets(client: Client, world: World) -> None:
    printer = world.open("Printer jammed")
    pricing = world.open("Quote please", topic=world.sales_topic)
    login(client, world.agent)
    response = client.get(reverse("desk:dashboard"))
    content = response.content.decode()
    assert printer.subject in content
    assert pricing.subject not in content
    assert response.context["counts"] == {
        "open": 1,
        "mine": 0,
        "unassigned": 1,
        "overdue": 0,
        "closed": 0,
    }


def test_my_tickets_lists_what_is_assigned_to_me(client: Client, world: World) -> None:
    mine = world.open("Mine")
    world.open("Not mine")
    lifecycle.assign(mine, actor=world.supervisor, agent=world.agent)
    login(client, world.agent)
    response = client.get(reverse("desk:queue", args=["mine"]))
    assert [t.subject for t in response.context["page"].tickets] == ["Mine"]
    assert response.context["counts"]["mine"] == 1
    assert response.context["counts"]["unassigned"] == 1


def test_queues_filter_and_sort(client: Client, world: World) -> None:
    low = world.open("Low one")
    high = world.open("High one")
    from helpline.tickets.models import Priority

    lifecycle.change_priority(high, actor=world.admin, priority=Priority.objects.get(name="High"))
    lifecycle.change_priority(low, actor=world.admin, priority=Priority.objects.get(name="Low"))
    login(client, world.admin)
    url = reverse("desk:queue", args=["open"])
    by_priority = client.get(url, {"sort": "priority"}).context["page"].tickets
    assert [t.subject for t in by_priority] == ["High one", "Low one"]
    low_id = Priority.objects.get(name="Low").pk
    only_low = client.get(url, {"priority": low_id}).context["page"].tickets
    assert [t.subject for t in only_low] == ["Low one"]
    # An unknown sort falls back to the default; a filter or page that cannot be
    # used is a clear 400 (test_queue_input.py), never a server error.
    assert client.get(url, {"sort": "nope"}).status_code == 200
    nonsense = client.get(url, {"priority": "x'; drop", "page": "-3"})
    assert nonsense.status_code == 400
    assert "The “priority” filter must be the number of a priority" in nonsense.content.decode()


def test_queue_pages_do_not_overlap(client: Client, world: World, settings) -> None:
    settings.HELPLINE_QUEUE_PAGE_SIZE = 2
    for i in range(5):
        world.open(f"Ticket {i}")
    login(client, world.admin)
    url = reverse("desk:queue", args=["open"])
    seen = []
    response = client.get(url)
    seen += [t.subject for t in response.context["page"].tickets]
    while response.context["page"].has_next:
        response = client.get(response.context["next_url"])
        seen += [t.subject for t in response.context["page"].tickets]
    assert seen == [f"Ticket {i}" for i in reversed(range(5))]  # newest change first


def test_an_htmx_filter_change_gets_only_the_table(client: Client, world: World) -> None:
    world.open()
    login(client, world.admin)
    response = client.get(reverse("desk:queue", args=["open"]), headers={"HX-Request": "true"})
    assert b"<table" in response.content
    assert b"<html" not in response.content


def test_an_unknown_queue_is_404(client: Client, world: World) -> None:
    login(client, world.admin)
    assert client.get(reverse("desk:queue", args=["nope"])).status_code == 404


def _dashboard_queries(client: Client, django_assert_num_queries, expected: int) -> None:
    with django_assert_num_queries(expected):
        assert client.get(reverse("desk:dashboard")).status_code == 200


@pytest.mark.parametrize("who", ["admin", "agent"])
def test_the_dashboard_query_count_does_not_grow_with_tickets(
    client: Client, world: World, django_assert_num_queries, who: str
) -> None:
    agent = getattr(world, who)
    login(client, agent)
    world.open("first")
    # session, user, agent, [access, teams], counts, tickets, who is on them ("I'm
    # on it", one statement for the page), the saved views (none: nothing to
    # count), 6 option lists; an agent's tickets are
    # the ids of three index ranges (their department, their own, their team:
    # helpline.tickets.keyset), then those tickets.
    expected = 13 if who == "admin" else 16
    _dashboard_queries(client, django_assert_num_queries, expected)
    for i in range(30):
        ticket = world.open(f"more {i}")
        if i % 3 == 0:
            lifecycle.assign(ticket, actor=world.admin, agent=world.agent, team=world.team)
    _dashboard_queries(client, django_assert_num_queries, expected)


def test_the_ticket_page_query_count_does_not_grow_with_the_thread(
    client: Client, world: World, django_assert_num_queries
) -> None:
    ticket = world.open()
    login(client, world.admin)
    url = reverse("desk:ticket", args=[ticket.number])
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for i in range(10):
        ticket = lifecycle.add_note(ticket, actor=world.admin, body_html=f"<p>note {i}</p>")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


# --- the ticket page -----------------------------------------------------------------


def test_an_agent_of_another_department_gets_404_for_the_ticket(
    client: Client, world: World
) -> None:
    ticket = world.open()
    login(client, world.other_agent)
    assert client.get(reverse("desk:ticket", args=[ticket.number])).status_code == 404
    assert act(client, ticket, "note", body="sneaky").status_code == 404
    assert client.get(reverse("desk:ticket", args=["000000"])).status_code == 404


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", 'added <strong translate="no">{who}</strong> to the people who follow the ticket'),
        ("de", 'hat <strong translate="no">{who}</strong> zu den Beteiligten des Tickets'),
    ],
)
def test_the_timeline_says_who_was_added_to_follow_the_ticket(
    client: Client, world: World, language: str, sentence: str
) -> None:
    """Once the one event kind the timeline had no sentence for ("Alice
    collaborator added", lower-cased German nouns)."""
    ticket = lifecycle.add_collaborator(world.open(), actor=world.agent, customer=world.outsider)
    login(client, world.agent)
    page = client.get(
        reverse("desk:ticket", args=[ticket.number]), headers={"Accept-Language": language}
    )
    assert sentence.format(who=escape(str(world.outsider))) in page.content.decode()


def test_the_ticket_page_shows_thread_notes_and_timeline(client: Client, world: World) -> None:
    ticket = world.open()
    ticket = lifecycle.add_note(ticket, actor=world.agent, body_html="<p>Checked the toner</p>")
    login(client, world.agent)
    response = client.get(reverse("desk:ticket", args=[ticket.number]))
    content = response.content.decode()
    assert "It is really on fire." in content
    assert "Checked the toner" in content
    assert "Internal note" in content
    assert "opened the ticket" in content
    assert "added an internal note" in content


def test_a_plain_agent_sees_no_assign_or_transfer_actions(client: Client, world: World) -> None:
    ticket = world.open()
    login(client, world.agent)
    response = client.get(reverse("desk:ticket", args=[ticket.number]))
    assert not response.context["allowed"]["assign"]
    assert not response.context["allowed"]["transfer"]
    assert b'id="action-assign"' not in response.content
    # Assigning to oneself is claiming, which agents may; to others, only supervisors.
    assert act(client, ticket, "assign", agent=world.supervisor.pk).status_code == 400


def test_the_walkthrough_actions_work_through_the_desk(client: Client, world: World) -> None:
    ticket = world.open("Hardware refresh inquiry")
    login(client, world.admin)
    response = act(client, ticket, "assign", agent=world.agent.pk)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == world.agent

    client.logout()
    login(client, world.agent)
    in_progress = world.status("In Progress")
    response = act(client, ticket, "reply", body="I am working on it.", status=in_progress.pk)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == in_progress

    client.logout()
    login(client, world.admin)
    response = act(client, ticket, "resolve", explanation="Approved: new tablets ordered.")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.is_resolved
    response = act(client, ticket, "close")
    ticket.refresh_from_db()
    assert ticket.status.name == "Closed"
    response = act(client, ticket, "reopen", reason="Customer called back")
    ticket.refresh_from_db()
    assert ticket.is_open and ticket.reopen_count == 1
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.REPLIED,
        EventKind.STATUS,
        EventKind.RESOLVED,
        EventKind.CLOSED,
        EventKind.REOPENED,
    ]


def test_a_refused_change_keeps_what_was_typed_and_says_why(client: Client, world: World) -> None:
    ticket = world.open()
    ticket = lifecycle.close(ticket, actor=world.admin)
    login(client, world.admin)
    response = act(client, ticket, "reply", body="My long careful answer")
    assert response.status_code == 400
    assert b"reopen it before replying" in response.content


def test_an_empty_resolution_is_refused_with_a_message(client: Client, world: World) -> None:
    ticket = world.open()
    login(client, world.admin)
    response = act(client, ticket, "resolve", explanation="   ")
    assert response.status_code == 400
    assert b"This field is required" in response.content
    ticket.refresh_from_db()
    assert ticket.is_open


def test_a_conflicting_edit_is_refused_shows_the_new_state_and_keeps_the_text(
    client: Client, world: World
) -> None:
    ticket = world.open()
    stale_version = ticket.version
    # Someone else puts the ticket on hold while our agent is typing.
    lifecycle.change_status(ticket, actor=world.supervisor, status=world.status("On Hold"))
    login(client, world.agent)
    response = act(
        client,
        ticket,
        "reply",
        version=stale_version,
        body="Here is what I found",
        status=world.status("In Progress").pk,
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "changed by someone else" in content
    assert "Here is what I found" in content
    assert response.context["ticket"].status.name == "On Hold"
    ticket.refresh_from_db()
    assert ticket.status.name == "On Hold"
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()
    # Sending the kept form again, now against the version shown, goes through.
    form = response.context["forms"]["reply"]
    response = act(
        client,
        ticket,
        "reply",
        version=form["version"].value(),
        body="Here is what I found",
        status=world.status("In Progress").pk,
    )
    assert response.status_code == 302


def test_attachments_are_downloads_for_agents_with_nosniff(client: Client, world: World) -> None:
    ticket = world.open()
    login(client, world.agent)
    upload = SimpleUploadedFile("notes.txt", b"<script>alert(1)</script>", "text/html")
    response = client.post(
        reverse("desk:action", args=[ticket.number, "note"]),
        {"version": ticket.version, "body": "see file", "attachments": [upload]},
    )
    assert response.status_code == 302
    attachment = ticket.entries.get(kind=EntryKind.NOTE).attachments.get()
    response = client.get(reverse("desk:attachment", args=[ticket.number, attachment.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    client.logout()
    login(client, world.other_agent)
    assert (
        client.get(reverse("desk:attachment", args=[ticket.number, attachment.pk])).status_code
        == 404
    )


def test_a_forbidden_file_type_is_refused_and_nothing_is_written(
    client: Client, world: World
) -> None:
    ticket = world.open()
    login(client, world.agent)
    upload = SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")
    response = client.post(
        reverse("desk:action", args=[ticket.number, "note"]),
        {"version": ticket.version, "body": "kept text", "attachments": [upload]},
    )
    assert response.status_code == 400
    assert b"are not accepted" in response.content
    assert b"kept text" in response.content
    assert not ticket.entries.filter(kind=EntryKind.NOTE).exists()


def test_actions_need_post(client: Client, world: World) -> None:
    ticket = world.open()
    login(client, world.admin)
    assert client.get(reverse("desk:action", args=[ticket.number, "close"])).status_code == 405


# --- phone tickets --------------------------------------------------------------------


def test_an_agent_opens_a_phone_ticket_for_a_new_customer(client: Client, world: World) -> None:
    login(client, world.agent)
    response = client.post(
        reverse("desk:new_ticket"),
        {
            "email": "Caller@Example.net",
            "name": "Carla Caller",
            "phone": "555-0199",
            "source": Source.PHONE,
            "topic": world.topic.pk,
            "subject": "Cannot print",
            "body": "Called in: the printer shows error 42.",
            "assignee": world.agent.pk,
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Cannot print")
    assert ticket.source == Source.PHONE
    assert ticket.customer.email == "Caller@example.net"
    assert ticket.assignee == world.agent
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.agent == world.agent
    assert ticket.entries.get().customer == ticket.customer


def test_a_callers_number_is_kept_on_the_ticket_when_the_customer_has_another(
    client: Client, world: World
) -> None:
    world.customer.phone = "555-0100"
    world.customer.save(update_fields=["phone"])
    login(client, world.agent)
    client.post(
        reverse("desk:new_ticket"),
        {
            "email": world.customer.email,
            "name": world.customer.name,
            "phone": "555-0142",
            "source": Source.PHONE,
            "topic": world.topic.pk,
            "subject": "Calling from a hotel",
            "body": "Call back on this number.",
        },
    )
    ticket = Ticket.objects.get(subject="Calling from a hotel")
    assert ticket.customer == world.customer and ticket.contact_phone == "555-0142"
    world.customer.refresh_from_db()
    assert world.customer.phone == "555-0100"


def test_the_phone_ticket_form_asks_the_chosen_topics_questions(
    client: Client, world: World
) -> None:
    """As the portal asks them: a required one must be answered, another topic's
    never blocks the form, and the answers are the ticket's."""
    from helpline.tickets.models import TopicField

    TopicField.objects.create(
        topic=world.topic, key="asset_tag", label="Asset tag", required=True, help_text="Sticker"
    )
    TopicField.objects.create(topic=world.sales_topic, key="budget", label="Budget", required=True)
    login(client, world.agent)
    form_page = client.get(reverse("desk:new_ticket")).content.decode()
    assert f'data-topic="{world.topic.pk}"' in form_page and "Asset tag" in form_page
    assert "helpline/topic-fields.js" in form_page
    data = {
        "email": "caller@example.net",
        "name": "Carla Caller",
        "source": Source.PHONE,
        "topic": world.topic.pk,
        "subject": "Laptop broken",
        "body": "Screen cracked.",
    }
    refused = client.post(reverse("desk:new_ticket"), data)
    assert refused.status_code == 400
    assert "This question is required for this help topic." in refused.content.decode()
    assert 'value="Laptop broken"' in refused.content.decode()
    field = f"topic_{world.topic.pk}_asset_tag"
    sent = client.post(reverse("desk:new_ticket"), {**data, field: "HL-0042"})
    assert sent.status_code == 302
    assert Ticket.objects.get(subject="Laptop broken").extra == {"asset_tag": "HL-0042"}


def test_the_topics_answers_can_be_filled_in_or_changed_on_the_ticket_page(
    client: Client, world: World
) -> None:
    from helpline.tickets.models import TopicField

    ticket = world.open()  # opened before the topic asked anything
    TopicField.objects.create(topic=world.topic, key="asset_tag", label="Asset tag", required=True)
    TopicField.objects.create(topic=world.topic, key="room", label="Room")
    login(client, world.agent)
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert "Answer the topic" in page and 'id="answers-topic_' in page
    tag, room = f"topic_{world.topic.pk}_asset_tag", f"topic_{world.topic.pk}_room"

    refused = act(client, ticket, "answers", version=ticket.version, **{room: "B12"})
    assert refused.status_code == 400
    assert "This question is required for this help topic." in refused.content.decode()
    sent = act(client, ticket, "answers", version=ticket.version, **{tag: "HL-7", room: "B12"})
    assert sent.status_code == 302
    ticket.refresh_from_db()
    assert ticket.extra == {"asset_tag": "HL-7", "room": "B12"}
    # Changed again: the room emptied is no answer any more; the timeline says who.
    sent = act(client, ticket, "answers", version=ticket.version, **{tag: "HL-8", room: ""})
    ticket.refresh_from_db()
    assert ticket.extra == {"asset_tag": "HL-8"}
    timeline = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert 'answered “<span translate="no">Asset tag</span>”' in timeline
    # The same answers again change nothing, and say so.
    same = act(client, ticket, "answers", version=ticket.version, **{tag: "HL-8"})
    assert same.status_code == 400 and "Nothing was changed." in same.content.decode()


def test_a_phone_ticket_form_with_errors_keeps_what_was_typed(client: Client, world: World) -> None:
    login(client, world.agent)
    response = client.post(
        reverse("desk:new_ticket"),
        {"email": "not-an-email", "name": "Carla", "subject": "Keep me", "body": "and me"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Enter a valid email address" in content
    assert 'value="Keep me"' in content
    assert "and me" in content


def phone_ticket(world: World, **changes: object) -> dict[str, object]:
    """A valid new-ticket form for a Support topic, with `changes`."""
    return {
        "email": "x@example.com",
        "name": "X",
        "source": Source.PHONE,
        "topic": world.topic.pk,
        "subject": "Nope",
        "body": "Nope",
        **changes,
    }


def test_a_phone_ticket_for_an_address_longer_than_254_characters_is_refused(
    client: Client, world: World
) -> None:
    """Django's validator takes addresses up to 320 characters; the customer's
    column holds 254, and PostgreSQL refused the rest with a DataError (500)."""
    login(client, world.agent)
    response = client.post(
        reverse("desk:new_ticket"),
        phone_ticket(world, email="x" * 300 + "@example.com", subject="Too long"),
    )
    assert response.status_code == 400
    assert b"at most 254 characters" in response.content
    assert not Ticket.objects.filter(subject="Too long").exists()


def test_an_agent_cannot_open_a_ticket_in_a_department_they_cannot_access(
    client: Client, world: World
) -> None:
    login(client, world.other_agent)
    response = client.post(reverse("desk:new_ticket"), phone_ticket(world, subject="Nope"))
    assert response.status_code == 400
    assert b"no access to the Support department" in response.content
    assert not Ticket.objects.filter(subject="Nope").exists()


def test_the_department_filter_lists_the_agents_own_departments(
    client: Client, world: World
) -> None:
    """Found by a new user: an agent could pick a department they cannot see and
    got an empty queue without a word why."""
    login(client, world.agent)  # Support only
    html = client.get(reverse("desk:dashboard")).content.decode()
    select = html[
        html.index('name="department"') : html.index("</select>", html.index('name="department"'))
    ]
    assert "Support" in select and "Sales" not in select
    login(client, world.admin)
    html = client.get(reverse("desk:dashboard")).content.decode()
    select = html[
        html.index('name="department"') : html.index("</select>", html.index('name="department"'))
    ]
    assert "Support" in select and "Sales" in select


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_picture_is_previewed_only_when_its_bytes_are_a_pictures(
    client: Client, world: World
) -> None:
    """The ticket page shows attached pictures small (`?view=1`, inline). A file
    that only claims to be a picture, or an SVG (script), stays a download."""
    ticket = world.open()
    login(client, world.agent)
    files = [
        SimpleUploadedFile("screen.png", PNG, "image/png"),
        SimpleUploadedFile("fake.png", b"<html><script>alert(1)</script>", "image/png"),
    ]
    response = client.post(
        reverse("desk:action", args=[ticket.number, "note"]),
        {"version": ticket.version, "body": "see files", "attachments": files},
    )
    assert response.status_code == 302
    shown = {a.filename: a for a in ticket.entries.get(kind=EntryKind.NOTE).attachments.all()}
    url = reverse("desk:attachment", args=[ticket.number, shown["screen.png"].pk])
    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert f'<img src="{url}?view=1" alt="screen.png"' in page
    picture = client.get(url, {"view": "1"})
    assert picture["Content-Type"] == "image/png"
    assert not picture["Content-Disposition"].startswith("attachment")
    assert picture["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in picture["Content-Security-Policy"]
    assert b"".join(picture.streaming_content) == PNG  # type: ignore[attr-defined]
    fake = reverse("desk:attachment", args=[ticket.number, shown["fake.png"].pk])
    refused = client.get(fake, {"view": "1"})
    assert refused["Content-Type"] == "application/octet-stream"
    assert refused["Content-Disposition"].startswith("attachment")
    download = client.get(url)
    assert download["Content-Disposition"].startswith("attachment")


def test_picture_types_go_by_the_first_bytes() -> None:
    from helpline.tickets.downloads import picture_type

    assert picture_type(PNG[:12]) == "image/png"
    assert picture_type(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") == "image/jpeg"
    assert picture_type(b"GIF89a\x01\x00\x01\x00\x00\x00") == "image/gif"
    assert picture_type(b"RIFF\x24\x00\x00\x00WEBP") == "image/webp"
    for other in (b'<svg xmlns="', b"<html><body>", b"%PDF-1.7\n", b""):
        assert picture_type(other) is None, other
