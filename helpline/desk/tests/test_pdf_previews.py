"""A PDF attachment on the desk's ticket page: its first page as a thumbnail,
and the viewer with its pages, each allowed to exactly whom the file's download
is (helpline.desk.views.previews)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpline.accounts.models import Agent
from helpline.conftest import World
from helpline.tickets import lifecycle, previews
from helpline.tickets.models import Attachment, Ticket
from helpline.tickets.tests.pdfs import encrypted_pdf, pages_pdf, png_size

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(world: World, media: Path) -> Ticket:
    return world.open(
        uploads=[
            lifecycle.Upload("invoice.pdf", "application/pdf", pages_pdf(2)),
            lifecycle.Upload("notes.txt", "text/plain", b"plain"),
        ]
    )


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf_of(ticket: Ticket) -> Attachment:
    return Attachment.objects.get(entry__ticket=ticket, filename__endswith=".pdf")


def signed_in(client: Client, agent: Agent) -> Client:
    client.force_login(agent.user)
    client.raise_request_exception = True
    return client


def urls(ticket: Ticket, attachment: Attachment) -> dict[str, str]:
    args = [ticket.number, attachment.pk]
    return {
        "download": reverse("desk:attachment", args=args),
        "thumbnail": reverse("desk:attachment_thumbnail", args=args),
        "pages": reverse("desk:attachment_pages", args=args),
        "page": reverse("desk:attachment_page", args=[*args, 1]),
    }


def test_the_ticket_page_shows_a_pdf_as_its_first_page_linking_to_the_viewer(
    client: Client, world: World, ticket: Ticket
) -> None:
    signed_in(client, world.agent)
    attachment = pdf_of(ticket)
    url = urls(ticket, attachment)

    page = client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()

    assert f'<a class="preview preview-document" href="{url["pages"]}"' in page
    assert f'<img src="{url["thumbnail"]}" alt="First page of invoice.pdf"' in page
    # Still the download beside it, with its name and size; the text file is only that.
    assert f'<a href="{url["download"]}" download>' in page
    assert page.count("preview-document") == 1
    assert "thumbnail.png" not in page.replace(url["thumbnail"], "")


def test_the_thumbnail_is_a_png_served_as_one(client: Client, world: World, ticket: Ticket) -> None:
    signed_in(client, world.agent)

    response = client.get(urls(ticket, pdf_of(ticket))["thumbnail"])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in response["Cache-Control"]
    assert png_size(response.content) == (240, 340)


def test_the_viewer_shows_the_pages_one_under_another_with_their_numbers(
    client: Client, world: World, ticket: Ticket
) -> None:
    signed_in(client, world.agent)
    attachment = pdf_of(ticket)
    url = urls(ticket, attachment)

    response = client.get(url["pages"])

    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 translate="no">invoice.pdf</h1>' in page
    assert "2 pages" in page
    assert "Page 1 of 2</h2>" in page and "Page 2 of 2</h2>" in page
    pictures = re.findall(r'<img src="([^"]+)" width="1000" height="1416" alt="([^"]+)"', page)
    assert pictures == [
        (reverse("desk:attachment_page", args=[ticket.number, attachment.pk, n]), alt)
        for n, alt in ((1, "Page 1 of invoice.pdf"), (2, "Page 2 of invoice.pdf"))
    ]
    assert f'<a class="btn btn-primary" href="{url["download"]}" download>Download</a>' in page
    back = reverse("desk:ticket", args=[ticket.number])
    assert f'<a class="btn" href="{back}">Back to the ticket</a>' in page


def test_each_page_is_a_png_and_a_page_past_the_end_is_404(
    client: Client, world: World, ticket: Ticket
) -> None:
    signed_in(client, world.agent)
    attachment = pdf_of(ticket)

    def page(n: int) -> Any:
        return client.get(reverse("desk:attachment_page", args=[ticket.number, attachment.pk, n]))

    second = page(2)
    assert second.status_code == 200 and second["Content-Type"] == "image/png"
    assert second["X-Content-Type-Options"] == "nosniff"
    assert png_size(second.content) == (1000, 1416)
    assert page(3).status_code == 404
    assert page(0).status_code == 404


def test_the_viewer_speaks_german(client: Client, world: World, ticket: Ticket) -> None:
    signed_in(client, world.agent)

    page = client.get(
        urls(ticket, pdf_of(ticket))["pages"], headers={"Accept-Language": "de"}
    ).content.decode()

    assert "Seite 1 von 2" in page and "Herunterladen" in page and "2 Seiten" in page


def test_a_pdf_that_cannot_be_drawn_is_a_plain_file_never_an_error(
    client: Client, world: World, media: Path
) -> None:
    ticket = world.open(
        uploads=[lifecycle.Upload("locked.pdf", "application/pdf", encrypted_pdf())]
    )
    signed_in(client, world.agent)
    url = urls(ticket, pdf_of(ticket))

    thumbnail = client.get(url["thumbnail"])
    assert thumbnail.status_code == 302
    assert thumbnail["Location"] == "/static/helpline/document.svg"
    viewer = client.get(url["pages"])
    assert viewer.status_code == 200
    assert b"No preview" in viewer.content
    assert f'href="{url["download"]}" download>Download</a>'.encode() in viewer.content
    assert b"<img" not in viewer.content.split(b'id="main"')[1]
    assert client.get(url["page"]).status_code == 404


def test_an_agent_of_another_department_gets_404_as_for_the_download(
    client: Client, world: World, ticket: Ticket
) -> None:
    signed_in(client, world.other_agent)
    for name, url in urls(ticket, pdf_of(ticket)).items():
        assert client.get(url).status_code == 404, name


def test_customers_and_strangers_are_sent_to_the_desk_sign_in(
    client: Client, world: World, ticket: Ticket
) -> None:
    assert world.customer.user is not None
    for who in (None, world.customer.user):
        if who is not None:
            client.force_login(who)
        for name, url in urls(ticket, pdf_of(ticket)).items():
            response = client.get(url)
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("desk:login")), name


def test_a_file_of_another_ticket_is_404(client: Client, world: World, ticket: Ticket) -> None:
    other = world.open("Another")
    signed_in(client, world.agent)
    attachment = pdf_of(ticket)
    for name in ("attachment_thumbnail", "attachment_pages"):
        url = reverse(f"desk:{name}", args=[other.number, attachment.pk])
        assert client.get(url).status_code == 404, name


def test_the_previews_are_drawn_once(
    client: Client, world: World, ticket: Ticket, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in(client, world.agent)
    url = urls(ticket, pdf_of(ticket))
    for name in ("thumbnail", "pages", "page"):
        assert client.get(url[name]).status_code == 200

    def no_more(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("drawn again")

    monkeypatch.setattr(previews.subprocess, "run", no_more)
    for name in ("thumbnail", "pages", "page"):
        assert client.get(url[name]).status_code == 200


def test_a_note_s_pdf_has_its_previews_on_the_desk(client: Client, world: World) -> None:
    ticket = lifecycle.add_note(
        world.open(),
        actor=world.agent,
        body_html="<p>The signed form.</p>",
        uploads=[lifecycle.Upload("form.pdf", "application/pdf", pages_pdf(1))],
    )
    signed_in(client, world.supervisor)
    for name, url in urls(ticket, pdf_of(ticket)).items():
        assert client.get(url).status_code == 200, name


def test_thumbnails_cost_the_ticket_page_no_query(
    client: Client, world: World, ticket: Ticket, media: Path, django_assert_num_queries: Any
) -> None:
    """A thumbnail is a request of its own: the page reads no file and asks the
    database nothing more for five PDFs than for one."""
    signed_in(client, world.admin)
    url = reverse("desk:ticket", args=[ticket.number])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(2):
        ticket = lifecycle.customer_reply(
            ticket,
            actor=world.customer,
            body_html=f"<p>More {n}</p>",
            uploads=[
                lifecycle.Upload(f"more{n}.pdf", "application/pdf", pages_pdf(1)),
                lifecycle.Upload(f"again{n}.pdf", "application/pdf", pages_pdf(1)),
            ],
        )
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("preview-document") == 5
    assert not (media / "previews").exists()  # nothing drawn for the page itself


@pytest.mark.django_db(transaction=True)
def test_drawing_holds_no_transaction(
    client: Client, world: World, ticket: Ticket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drawing takes up to the timeout: it must not hold a row lock, or
    SQLite's write lock, that long."""
    in_transaction: list[bool] = []
    real = previews._run

    def run(*args: Any, **kwargs: Any) -> Any:
        in_transaction.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(previews, "_run", run)
    signed_in(client, world.agent)
    url = urls(ticket, pdf_of(ticket))
    for name in ("thumbnail", "pages"):
        assert client.get(url[name]).status_code == 200
    assert in_transaction == [False, False]
