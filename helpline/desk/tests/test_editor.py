"""The desk's editor on the server: its HTML is sanitized like any HTML, the
pictures in its text are kept with their Content-IDs and shown in place, a reply
without script is still plain text, and what does not add up is refused with a
message (the browser side is in test_editor_browser.py). A mail's own inline
pictures (`cid:`) show in the thread from its files too."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from helpline.conftest import World
from helpline.desk.tests.test_previews_browser import screenshot_png
from helpline.desk.views.ticket import REPLY_MAILED_TO_COPY, REPLY_NOT_MAILED
from helpline.intake.ingest import ingest_message
from helpline.tickets.models import Attachment, Entry, EntryKind, Ticket

pytestmark = pytest.mark.django_db

PICTURE_ID = "0123456789abcdef01234567@helpline"


@pytest.fixture
def alice(world: World) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(world.agent.user)
    return client


def post(client: Client, ticket: Ticket, action: str, **data: object) -> int:
    ticket.refresh_from_db()
    url = reverse("desk:action", args=[ticket.number, action])
    return client.post(url, {"version": ticket.version, **data}).status_code


def picture(name: str = "shot.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, screenshot_png(40, 30), content_type="image/png")


def test_the_editor_html_is_sanitized_and_its_picture_kept_with_its_content_id(
    world: World, alice: Client
) -> None:
    ticket = world.open()
    body = (
        "<div><strong>Restart</strong> it<script>alert(1)</script></div>"
        f'<img src="cid:{PICTURE_ID}" alt="shot.png" onerror="alert(2)">'
    )
    status = post(
        alice,
        ticket,
        "reply",
        body=body,
        body_format="html",
        inline_ids=PICTURE_ID,
        inline_images=picture(),
    )
    assert status == 302
    entry = Entry.objects.get(ticket=ticket, kind=EntryKind.REPLY)
    assert "<strong>Restart</strong>" in entry.body
    assert "script" not in entry.body and "onerror" not in entry.body
    stored = Attachment.objects.get(entry=entry)
    assert stored.content_id == PICTURE_ID
    page = alice.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    file_url = reverse("desk:attachment", args=[ticket.number, stored.pk])
    assert f'<img class="inline-image" src="{file_url}?view=1" alt="shot.png"' in page


def test_a_note_takes_the_editor_html_too(world: World, alice: Client) -> None:
    ticket = world.open()
    assert post(alice, ticket, "note", body="<ul><li>one</li></ul>", body_format="html") == 302
    assert Entry.objects.get(ticket=ticket, kind=EntryKind.NOTE).body == "<ul><li>one</li></ul>"


def test_without_script_the_box_is_plain_text(world: World, alice: Client) -> None:
    ticket = world.open()
    assert post(alice, ticket, "reply", body="<b>not bold</b>\nline two") == 302
    entry = Entry.objects.get(ticket=ticket, kind=EntryKind.REPLY)
    assert entry.body == "<p>&lt;b&gt;not bold&lt;/b&gt;<br>line two</p>"


def test_the_signature_goes_below_the_editor_html_as_text(world: World, alice: Client) -> None:
    ticket = world.open()
    status = post(
        alice, ticket, "reply", body="<div>Done.</div>", body_format="html", signature="Alice\n<x>"
    )
    assert status == 302
    entry = Entry.objects.get(ticket=ticket, kind=EntryKind.REPLY)
    assert entry.body == "<div>Done.</div><br><p>Alice<br>&lt;x&gt;</p>"


@pytest.mark.parametrize(
    ("ids", "count"),
    [
        ("", 1),  # a picture without its id
        (PICTURE_ID, 0),  # an id without its picture
        ("not-an-id", 1),
        (f"{PICTURE_ID} {PICTURE_ID}", 2),  # the same id twice
    ],
)
def test_pictures_and_ids_that_do_not_match_are_refused_with_the_text_kept(
    world: World, alice: Client, ids: str, count: int
) -> None:
    ticket = world.open()
    ticket.refresh_from_db()
    url = reverse("desk:action", args=[ticket.number, "reply"])
    data = {
        "version": ticket.version,
        "body": "<div>Keep me</div>",
        "body_format": "html",
        "inline_ids": ids,
        "inline_images": [picture(f"p{i}.png") for i in range(count)],
    }
    response = alice.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The pictures in the text did not arrive whole" in html
    assert "&lt;div&gt;Keep me&lt;/div&gt;</textarea>" in html
    assert not Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).exists()


def test_only_pictures_go_into_the_text(world: World, alice: Client) -> None:
    ticket = world.open()
    ticket.refresh_from_db()
    url = reverse("desk:action", args=[ticket.number, "reply"])
    response = alice.post(
        url,
        {
            "version": ticket.version,
            "body": "<div>See</div>",
            "body_format": "html",
            "inline_ids": PICTURE_ID,
            "inline_images": SimpleUploadedFile("notes.txt", b"text", content_type="text/plain"),
        },
    )
    assert response.status_code == 400
    assert "Only pictures (PNG, JPEG, GIF, WebP) go into the text." in response.content.decode()


def test_pictures_in_the_text_count_against_the_attachment_limit(
    world: World, alice: Client, settings: object
) -> None:
    settings.HELPLINE_MAX_ATTACHMENTS = 2  # type: ignore[attr-defined]
    ticket = world.open()
    ticket.refresh_from_db()
    ids = [f"{i:024x}@helpline" for i in range(2)]
    response = alice.post(
        reverse("desk:action", args=[ticket.number, "reply"]),
        {
            "version": ticket.version,
            "body": "<div>See</div>",
            "body_format": "html",
            "inline_ids": " ".join(ids),
            "inline_images": [picture("a.png"), picture("b.png")],
            "attachments": [SimpleUploadedFile("c.txt", b"c", content_type="text/plain")],
        },
    )
    assert response.status_code == 400
    assert "Attach at most 2 files." in response.content.decode()


def test_a_mail_inline_picture_shows_in_place_from_its_file(world: World, alice: Client) -> None:
    mail = EmailMessage()
    mail["From"] = f"{world.customer.name} <{world.customer.email}>"
    mail["To"] = "help@example.com"
    mail["Subject"] = "The error on my screen"
    mail["Message-ID"] = "<inline-1@example.com>"
    mail.set_content("See the picture.")
    mail.add_alternative('<p>See:</p><img src="cid:shot@mua" alt="the error">', subtype="html")
    html_part = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(screenshot_png(40, 30), maintype="image", subtype="png", cid="<shot@mua>")
    result = ingest_message(bytes(mail))
    ticket = Ticket.objects.get(pk=result.ticket.pk)  # type: ignore[union-attr]
    stored = Attachment.objects.get(entry__ticket=ticket)
    assert stored.content_id == "shot@mua"
    page = alice.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    file_url = reverse("desk:attachment", args=[ticket.number, stored.pk])
    assert f'src="{file_url}?view=1" alt="the error"' in page
    assert "cid:shot@mua" not in page


def test_a_reply_sent_back_forgets_its_pictures_and_can_be_sent_again(
    world: World, alice: Client
) -> None:
    """A reply held because the ticket changed comes back without its files; the
    ids of its pictures must not come back either, or "Send anyway" could never
    add up."""
    ticket = world.open()
    ticket.refresh_from_db()
    url = reverse("desk:action", args=[ticket.number, "reply"])
    data = {
        "version": ticket.version,
        "body": f'<div>See</div><img src="cid:{PICTURE_ID}">',
        "body_format": "html",
        "inline_ids": PICTURE_ID,
        "inline_images": picture(),
        "opened": "1000000",  # opened long ago: the customer's message came after
    }
    held = alice.post(url, data)
    assert held.status_code == 409
    page = held.content.decode()
    assert PICTURE_ID not in page.split('name="inline_ids"')[1].split(">")[0]
    # Sent again as the page now stands: no pictures, no ids.
    again = {**data, "inline_ids": "", "inline_images": [], "opened": ""}
    assert alice.post(url, again).status_code == 302
    assert Entry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).count() == 1


def test_a_file_named_like_a_picture_is_not_one_by_its_bytes(world: World, alice: Client) -> None:
    ticket = world.open()
    ticket.refresh_from_db()
    response = alice.post(
        reverse("desk:action", args=[ticket.number, "reply"]),
        {
            "version": ticket.version,
            "body": f'<img src="cid:{PICTURE_ID}">',
            "body_format": "html",
            "inline_ids": PICTURE_ID,
            "inline_images": SimpleUploadedFile("x.png", b"<html>", content_type="image/png"),
        },
    )
    assert response.status_code == 400
    assert "Only pictures" in response.content.decode()


@pytest.mark.parametrize(
    "content_id",
    ["=?utf-8?q?abc=0D=0ABcc=3A_evil=40x=2Ecom?=", "a b@x", "a" * 201, "<<a>>@x"],
)
def test_a_hostile_content_id_in_mail_is_no_id(world: World, content_id: str) -> None:
    mail = EmailMessage()
    mail["From"] = world.customer.email
    mail["To"] = "help@example.com"
    mail["Subject"] = "Odd ids"
    mail["Message-ID"] = "<odd-1@example.com>"
    mail.set_content("See the picture.")
    mail.add_attachment(screenshot_png(4, 4), maintype="image", subtype="png", filename="a.png")
    part = next(p for p in mail.walk() if p.get_content_type() == "image/png")
    part["Content-ID"] = content_id
    result = ingest_message(bytes(mail))
    assert result.ticket is not None
    assert Attachment.objects.get(entry__ticket=result.ticket).content_id == ""


def test_in_text_matches_whole_ids_as_the_body_names_them() -> None:
    from helpline.tickets.templatetags.bodies import in_text

    body = '<img src="cid:ab@x"><img src="cid:part%201@mail">'
    assert in_text(Attachment(content_id="ab@x"), body)
    assert in_text(Attachment(content_id="Part 1@mail"), body)
    assert not in_text(Attachment(content_id="a"), body)
    assert not in_text(Attachment(content_id=""), body)


def test_a_page_without_the_files_says_a_cid_picture_is_missing() -> None:
    from django.template import Context, Template

    html = Template('{% load bodies %}{{ body|message_body:"" }}').render(
        Context({"body": '<p>Hi</p><img src="cid:a@x" alt="logo">'})
    )
    assert "cid:" not in html and "Picture “logo”: not in the message" in html


def test_a_reply_to_a_caller_without_email_names_who_got_it(world: World, alice: Client) -> None:
    from helpline.accounts.customers import create_customer_without_email
    from helpline.tickets.models import Collaborator

    caller = create_customer_without_email(name="Walter Walkin", phone="555-0123")
    ticket = world.open(customer=caller, actor=world.agent)
    assert post(alice, ticket, "reply", body="Done.") == 302
    said = [
        str(m) for m in alice.get(reverse("desk:ticket", args=[ticket.number])).context["messages"]
    ]
    assert said == [str(REPLY_NOT_MAILED)]
    Collaborator.objects.create(ticket=ticket, customer=world.customer)
    assert post(alice, ticket, "reply", body="Done again.") == 302
    said = [
        str(m) for m in alice.get(reverse("desk:ticket", args=[ticket.number])).context["messages"]
    ]
    assert said == [str(REPLY_MAILED_TO_COPY)]


def test_the_source_list_says_email_the_channel_in_german(world: World, alice: Client) -> None:
    alice.cookies["django_language"] = "de"
    page = alice.get(reverse("desk:new_ticket"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    source = page.split('name="source"')[1].split("</select>")[0]
    assert '<option value="email">E-Mail</option>' in source
    assert "Vor Ort" in source
