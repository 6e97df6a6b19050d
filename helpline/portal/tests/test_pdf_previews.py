"""A PDF attachment on the customer's ticket page: its first page as a
thumbnail and the viewer with its pages, signed in or through the signed link,
each allowed to exactly whom the file's download is (helpline.portal.previews)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.conftest import World
from helpline.tickets import lifecycle
from helpline.tickets.lifecycle import Upload
from helpline.tickets.links import ticket_token
from helpline.tickets.models import Attachment, Ticket
from helpline.tickets.tests.pdfs import pages_pdf, png_size

pytestmark = pytest.mark.django_db

PREVIEWS = ("thumbnail.png", "pages/", "pages/1.png")


@pytest.fixture
def ticket(world: World) -> Ticket:
    return world.open(uploads=[Upload("invoice.pdf", "application/pdf", pages_pdf(2))])


def pdf_of(ticket: Ticket) -> Attachment:
    return Attachment.objects.get(entry__ticket=ticket, filename__endswith=".pdf")


def signed_in(client: Client, world: World) -> Client:
    assert world.customer.user is not None
    client.force_login(world.customer.user)
    client.raise_request_exception = True
    return client


def test_the_owner_sees_the_first_page_linking_to_the_viewer(
    client: Client, world: World, ticket: Ticket
) -> None:
    file_url = f"/tickets/{ticket.number}/files/{pdf_of(ticket).pk}/"

    page = signed_in(client, world).get(f"/tickets/{ticket.number}/").content.decode()

    assert f'<a class="preview preview-document" href="{file_url}pages/"' in page
    assert f'<img src="{file_url}thumbnail.png" alt="First page of invoice.pdf"' in page
    assert f'<a href="{file_url}" translate="no">invoice.pdf</a>' in page


def test_the_owner_gets_the_thumbnail_the_viewer_and_its_pages(
    client: Client, world: World, ticket: Ticket
) -> None:
    attachment = pdf_of(ticket)
    base = f"/tickets/{ticket.number}/files/{attachment.pk}/"
    signed_in(client, world)

    thumbnail = client.get(base + "thumbnail.png")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/png"
    assert thumbnail["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in thumbnail["Cache-Control"]
    assert png_size(thumbnail.content) == (240, 340)

    viewer = client.get(base + "pages/").content.decode()
    assert re.findall(r'<img src="([^"]+)" width="1000" height="1416" alt="([^"]+)"', viewer) == [
        (f"{base}pages/1.png", "Page 1 of invoice.pdf"),
        (f"{base}pages/2.png", "Page 2 of invoice.pdf"),
    ]
    assert f'href="{base}" download>Download</a>' in viewer
    assert f'<a class="btn" href="/tickets/{ticket.number}/">Back to the ticket</a>' in viewer
    assert 'aria-current="page">My tickets</a>' in viewer

    second = client.get(base + "pages/2.png")
    assert second.status_code == 200 and second["X-Content-Type-Options"] == "nosniff"
    assert png_size(second.content) == (1000, 1416)
    assert client.get(base + "pages/3.png").status_code == 404


def test_the_signed_link_reaches_the_previews_and_its_viewer_links_stay_signed(
    world: World, ticket: Ticket
) -> None:
    token = ticket_token(ticket)
    base = f"/t/{token}/files/{pdf_of(ticket).pk}/"
    guest = Client(raise_request_exception=True)

    page = guest.get(f"/t/{token}/").content.decode()
    assert f'href="{base}pages/"' in page and f'src="{base}thumbnail.png"' in page
    for end in PREVIEWS:
        assert guest.get(base + end).status_code == 200, end
    viewer = guest.get(base + "pages/").content.decode()
    assert f'src="{base}pages/1.png"' in viewer
    assert f'href="{base}" download>' in viewer and f'href="/t/{token}/">' in viewer


def test_a_forged_link_gets_nothing(world: World, ticket: Ticket) -> None:
    base = f"/t/forged-token/files/{pdf_of(ticket).pk}/"
    for end in PREVIEWS:
        assert Client().get(base + end).status_code == 404, end


def test_another_customer_and_an_anonymous_visitor_get_404_as_for_the_download(
    client: Client, world: World, ticket: Ticket
) -> None:
    base = f"/tickets/{ticket.number}/files/{pdf_of(ticket).pk}/"
    assert Client().get(base).status_code == 404
    for end in PREVIEWS:
        assert Client().get(base + end).status_code == 404, end
    assert world.outsider.user is not None
    client.force_login(world.outsider.user)
    assert client.get(base).status_code == 404
    for end in PREVIEWS:
        assert client.get(base + end).status_code == 404, end


def test_agents_get_404_on_the_portal_as_for_the_download(
    client: Client, world: World, ticket: Ticket
) -> None:
    client.force_login(world.agent.user)
    base = f"/tickets/{ticket.number}/files/{pdf_of(ticket).pk}/"
    for end in PREVIEWS:
        assert client.get(base + end).status_code == 404, end


def test_a_note_s_pdf_is_not_the_customer_s_to_preview(client: Client, world: World) -> None:
    ticket = lifecycle.add_note(
        world.open(),
        actor=world.agent,
        body_html="<p>Internal.</p>",
        uploads=[Upload("internal.pdf", "application/pdf", pages_pdf(1))],
    )
    note_file = pdf_of(ticket)
    signed_in(client, world)
    token = ticket_token(ticket)
    for base in (
        f"/tickets/{ticket.number}/files/{note_file.pk}/",
        f"/t/{token}/files/{note_file.pk}/",
    ):
        assert client.get(base).status_code == 404
        for end in PREVIEWS:
            assert client.get(base + end).status_code == 404, base + end


def test_thumbnails_cost_the_ticket_page_no_query(
    client: Client, world: World, ticket: Ticket, django_assert_num_queries: Any
) -> None:
    signed_in(client, world)
    url = reverse("portal:ticket", args=[ticket.number])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(2):
        ticket = lifecycle.customer_reply(
            ticket,
            actor=world.customer,
            body_html=f"<p>More {n}</p>",
            uploads=[
                Upload(f"more{n}.pdf", "application/pdf", pages_pdf(1)),
                Upload(f"again{n}.pdf", "application/pdf", pages_pdf(1)),
            ],
        )
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("preview-document") == 5
