"""The customer's ticket page: the public thread, replies, files, and who may see it."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpline.conftest import World
from helpline.portal.tests.conftest import upload
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Upload
from helpline.tickets.links import ticket_token
from helpline.tickets.models import Attachment, EventKind, State, Ticket


def without_csrf(html: bytes) -> bytes:
    """The page without its CSRF tokens, which differ on every response."""
    return re.sub(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', rb"\1", html)


def signed_in(client: Client, world: World) -> Client:
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    return client


def note_on(ticket: Ticket, world: World, text: str = "Customer is grumpy") -> Ticket:
    return lifecycle.add_note(
        ticket,
        actor=world.agent,
        body_html=f"<p>{text}</p>",
        uploads=[Upload("internal.txt", "text/plain", b"secret")],
    )


def test_the_owner_sees_the_public_thread(client: Client, world: World) -> None:
    ticket = world.open()
    lifecycle.reply(ticket, actor=world.agent, body_html="<p>Have you tried water?</p>")

    response = signed_in(client, world).get(f"/tickets/{ticket.number}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Printer on fire" in html and ticket.number in html
    assert "It is really on fire." in html
    assert "Have you tried water?" in html
    assert "Alice Agent" in html
    assert '<span class="badge badge-open">Open</span>' in html
    assert "Printers" in html


def test_notes_and_the_timeline_never_appear_on_the_customer_page(
    client: Client, world: World
) -> None:
    ticket = note_on(world.open(), world)
    lifecycle.assign(ticket, actor=world.supervisor, agent=world.agent, reason="Ask Alice")

    for page in (
        signed_in(client, world).get(f"/tickets/{ticket.number}/"),
        Client().get(f"/t/{ticket_token(ticket)}/"),
    ):
        html = page.content.decode()
        assert page.status_code == 200
        assert "Customer is grumpy" not in html
        assert "internal.txt" not in html
        assert "Ask Alice" not in html
        assert "Note added" not in html


def test_the_file_of_a_note_cannot_be_downloaded(client: Client, world: World) -> None:
    ticket = note_on(world.open(), world)
    attachment = Attachment.objects.get(entry__ticket=ticket)

    signed_in(client, world)
    assert client.get(f"/tickets/{ticket.number}/files/{attachment.pk}/").status_code == 404
    token = ticket_token(ticket)
    assert Client().get(f"/t/{token}/files/{attachment.pk}/").status_code == 404


def test_a_file_of_another_ticket_cannot_be_downloaded_through_this_one(
    client: Client, world: World
) -> None:
    mine = world.open()
    theirs = world.open(
        "Not yours",
        actor=world.outsider,
        customer=world.outsider,
        uploads=[Upload("theirs.txt", "text/plain", b"private")],
    )
    attachment = Attachment.objects.get(entry__ticket=theirs)

    signed_in(client, world)
    assert client.get(f"/tickets/{mine.number}/files/{attachment.pk}/").status_code == 404
    assert client.get(f"/tickets/{theirs.number}/files/{attachment.pk}/").status_code == 404
    token = ticket_token(mine)
    assert Client().get(f"/t/{token}/files/{attachment.pk}/").status_code == 404


def test_the_owner_downloads_a_file_of_the_thread(client: Client, world: World) -> None:
    ticket = world.open(uploads=[Upload("log.txt", "text/plain", b"line 1")])
    attachment = Attachment.objects.get(entry__ticket=ticket)

    response = signed_in(client, world).get(f"/tickets/{ticket.number}/files/{attachment.pk}/")

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def test_another_customers_ticket_is_not_found(client: Client, world: World) -> None:
    theirs = world.open("Not yours", actor=world.outsider, customer=world.outsider)

    response = signed_in(client, world).get(f"/tickets/{theirs.number}/")

    assert response.status_code == 404
    assert "Not yours" not in response.content.decode()
    assert client.post(f"/tickets/{theirs.number}/reply/", {"body": "hi"}).status_code == 404
    assert theirs.entries.count() == 1


def test_a_nonexistent_number_is_not_found_just_the_same(client: Client, world: World) -> None:
    theirs = world.open("Not yours", actor=world.outsider, customer=world.outsider)
    signed_in(client, world)

    existing = client.get(f"/tickets/{theirs.number}/")
    missing = client.get("/tickets/999999999/")

    assert existing.status_code == missing.status_code == 404
    assert without_csrf(existing.content) == without_csrf(missing.content)


def test_an_anonymous_visitor_is_asked_to_sign_in_for_any_number(
    client: Client, world: World
) -> None:
    ticket = world.open()

    existing = client.get(f"/tickets/{ticket.number}/")
    missing = client.get("/tickets/999999999/")

    assert existing.status_code == missing.status_code == 404
    assert "Printer on fire" not in existing.content.decode()
    assert "Sign in to see this ticket" in existing.content.decode()
    assert "Sign in to see this ticket" in missing.content.decode()


def test_a_customer_reply_reopens_a_resolved_ticket(client: Client, world: World) -> None:
    ticket = world.open()
    lifecycle.resolve(ticket, actor=world.admin, explanation_html="<p>Unplug it.</p>")
    signed_in(client, world)

    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Replying will reopen this ticket" in page
    assert '<article class="entry reply resolution">' in page
    assert '<span class="badge badge-resolved">Resolved</span>' in page

    response = client.post(f"/tickets/{ticket.number}/reply/", {"body": "It is on fire again."})

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN
    assert ticket.reopen_count == 1
    assert ticket.events.filter(kind=EventKind.REOPENED).exists()
    assert ticket.events.filter(kind=EventKind.CUSTOMER_REPLIED, customer=world.customer).exists()
    after = client.get(response["Location"]).content.decode()
    assert "Your reply was added. The ticket is open again." in after
    assert "<p>It is on fire again.</p>" in after


def test_a_reply_through_a_signed_link_is_written_as_the_tickets_customer(
    client: Client, world: World
) -> None:
    ticket = world.open()
    token = ticket_token(ticket)

    response = client.post(
        f"/t/{token}/reply/", {"body": "More smoke now.", "attachments": [upload()]}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/t/{token}/"
    entry = ticket.entries.order_by("-id").first()
    assert entry is not None
    assert entry.customer == world.customer
    assert entry.kind == "message"
    assert [a.filename for a in entry.attachments.all()] == ["screenshot.png"]


def test_an_empty_reply_is_refused_with_a_message(client: Client, world: World) -> None:
    ticket = world.open()

    response = signed_in(client, world).post(f"/tickets/{ticket.number}/reply/", {"body": "  "})

    assert response.status_code == 200
    assert "Write a reply or attach a file." in response.content.decode()
    assert ticket.entries.count() == 1


def test_a_reply_with_a_refused_file_keeps_the_text(client: Client, world: World) -> None:
    ticket = world.open()

    response = signed_in(client, world).post(
        f"/tickets/{ticket.number}/reply/",
        {"body": "See the file", "attachments": [upload("x.exe", b"MZ")]},
    )

    html = response.content.decode()
    assert "files of type .exe are not accepted" in html
    assert "See the file</textarea>" in html
    assert "attach the files again" in html
    assert ticket.entries.count() == 1


def test_a_message_with_a_script_is_not_rendered_as_script(client: Client, world: World) -> None:
    ticket = world.open(
        body_html='<p>Hello</p><script>alert("x")</script><img src=x onerror="alert(1)">'
    )

    html = signed_in(client, world).get(f"/tickets/{ticket.number}/").content.decode()

    assert "<p>Hello</p>" in html
    assert 'alert("x")' not in html
    assert "onerror" not in html


def test_changing_views_refuse_get(client: Client, world: World) -> None:
    ticket = world.open()
    signed_in(client, world)

    assert client.get(f"/tickets/{ticket.number}/reply/").status_code == 405
    assert client.get(f"/t/{ticket_token(ticket)}/reply/").status_code == 405
    assert client.get("/logout/").status_code == 405


def test_the_ticket_page_costs_the_same_queries_however_long_the_thread(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    ticket = world.open()
    signed_in(client, world)
    with CaptureQueriesContext(connection) as short:
        client.get(f"/tickets/{ticket.number}/")
    for n in range(5):
        ticket = lifecycle.customer_reply(
            ticket,
            actor=world.customer,
            body_html=f"<p>Update {n}</p>",
            uploads=[Upload(f"photo{n}.png", "image/png", b"png")],
        )

    with django_assert_max_num_queries(len(short.captured_queries)):
        page = client.get(f"/tickets/{ticket.number}/").content.decode()

    assert "Update 4" in page and "photo4.png" in page
