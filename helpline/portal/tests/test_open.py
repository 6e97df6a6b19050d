"""Opening a ticket on the portal, as a guest and signed in."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from helpline.accounts.models import Customer
from helpline.conftest import World
from helpline.portal.tests.conftest import asset_tag_question, ticket_form, upload
from helpline.tickets.models import Attachment, Event, EventKind, HelpTopic, Ticket, TopicField


def test_the_home_page_offers_to_open_a_ticket_or_check_its_status(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "How can we help?" in html
    assert 'href="/open/"' in html and "Open a New Ticket" in html
    assert 'href="/status/"' in html and "Check Ticket Status" in html
    assert "Sign in" in html and "Register" in html
    assert "My tickets" not in html


def test_a_guest_opens_a_ticket_and_sees_its_number(client: Client, world: World) -> None:
    response = client.post("/open/", ticket_form(world, phone="555-0199"))

    assert response.status_code == 302
    assert response["Location"] == "/open/thanks/"
    ticket = Ticket.objects.get()
    assert ticket.subject == "Scanner jams"
    assert ticket.topic == world.topic
    assert ticket.source == "web"
    assert ticket.customer.email == "grace@example.net"
    assert ticket.customer.name == "Grace Guest"
    assert ticket.customer.phone == "555-0199"
    event = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert event.customer == ticket.customer
    entry = ticket.entries.get()
    assert entry.body == "<p>The scanner jams on every page.</p><p>Since Monday.</p>"

    thanks = client.get("/open/thanks/")
    html = thanks.content.decode()
    assert f'<div class="ticket-number">{ticket.number}</div>' in html
    assert 'class="signed-link" href="http://testserver/t/' in html
    # The signed link on the thanks page opens the ticket.
    link = html.split('class="signed-link" href="http://testserver', 1)[1].split('"', 1)[0]
    page = Client().get(link)
    assert page.status_code == 200
    assert "Scanner jams" in page.content.decode()


def test_the_thanks_page_shows_nothing_without_a_ticket_just_opened(client: Client) -> None:
    response = client.get("/open/thanks/")
    assert response.status_code == 302
    assert response["Location"] == "/open/"


def test_a_guest_with_a_known_address_opens_the_ticket_for_that_customer(
    client: Client, world: World
) -> None:
    client.post("/open/", ticket_form(world, name="Somebody Else", email="KEN@example.com"))

    ticket = Ticket.objects.get()
    assert ticket.customer == world.customer
    world.customer.refresh_from_db()
    assert world.customer.name == "Ken Adams"  # a guest cannot rename a customer


def test_a_guests_phone_is_kept_on_the_ticket_and_the_customers_own_is_left(
    client: Client, world: World
) -> None:
    """Once dropped in favour of the known customer's number."""
    world.customer.phone = "555-0100"
    world.customer.save(update_fields=["phone"])
    client.post("/open/", ticket_form(world, email="ken@example.com", phone=" 555-0177 "))

    ticket = Ticket.objects.get()
    assert ticket.customer == world.customer and ticket.contact_phone == "555-0177"
    world.customer.refresh_from_db()
    assert world.customer.phone == "555-0100"  # a guest cannot change it either
    # The desk shows both.
    agent = Client()
    agent.force_login(world.agent.user)
    page = agent.get(reverse("desk:ticket", args=[ticket.number])).content.decode()
    assert "555-0100" in page
    assert '<dd translate="no" data-contact-phone>555-0177</dd>' in page


def test_a_signed_in_customer_opens_a_ticket_that_is_theirs(client: Client, world: World) -> None:
    assert world.customer.user is not None
    client.force_login(world.customer.user)

    form = client.get("/open/").content.decode()
    assert 'value="Ken Adams"' in form and 'value="ken@example.com"' in form

    # Whatever name and address the page sends, the ticket is the signed-in customer's.
    response = client.post("/open/", ticket_form(world, name="X", email="x@example.org"))

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.customer == world.customer
    assert Event.objects.filter(
        ticket=ticket, kind=EventKind.CREATED, customer=world.customer
    ).exists()
    assert not Customer.objects.filter(email="x@example.org").exists()
    thanks = client.get("/open/thanks/").content.decode()
    assert ticket.number in thanks
    assert 'href="/my/"' in thanks


def test_only_public_active_topics_are_offered(client: Client, world: World) -> None:
    HelpTopic.objects.create(name="Internal stuff", department=world.support, is_public=False)
    HelpTopic.objects.create(name="Retired topic", department=world.support, is_active=False)

    html = client.get("/open/").content.decode()

    assert "Printers" in html and "Pricing" in html
    assert "Internal stuff" not in html and "Retired topic" not in html


def test_a_topic_that_is_not_public_is_refused(client: Client, world: World) -> None:
    hidden = HelpTopic.objects.create(name="Internal", department=world.support, is_public=False)

    response = client.post("/open/", ticket_form(world, topic=str(hidden.pk)))

    assert response.status_code == 200
    assert "Choose one of the help topics." in response.content.decode()
    assert not Ticket.objects.exists()


def test_every_topic_question_is_rendered_in_a_fieldset_of_its_topic(
    client: Client, world: World
) -> None:
    question = asset_tag_question(world)
    TopicField.objects.create(
        topic=world.sales_topic, key="seats", label="How many seats?", kind="number"
    )

    html = client.get("/open/").content.decode()

    assert f'<fieldset data-topic="{world.topic.pk}">' in html
    assert f'<fieldset data-topic="{world.sales_topic.pk}">' in html
    assert '<legend translate="no">Printers</legend>' in html
    assert '<legend translate="no">Pricing</legend>' in html
    name = f"topic_{world.topic.pk}_{question.key}"
    assert f'<label for="id_{name}"><span translate="no">Asset tag</span>' in html
    assert 'aria-required="true"' in html
    assert "helpline/topic-fields.js" in html


def test_a_required_topic_question_is_enforced_only_for_its_topic(
    client: Client, world: World
) -> None:
    asset_tag_question(world)

    refused = client.post("/open/", ticket_form(world))
    assert refused.status_code == 200
    assert "This question is required for this help topic." in refused.content.decode()
    assert not Ticket.objects.exists()

    # The sales topic does not ask for an asset tag.
    accepted = client.post("/open/", ticket_form(world, topic=str(world.sales_topic.pk)))
    assert accepted.status_code == 302
    assert Ticket.objects.get().extra == {}


def test_topic_answers_are_stored_in_extra(client: Client, world: World) -> None:
    asset_tag_question(world)
    prefix = f"topic_{world.topic.pk}_"
    TopicField.objects.create(
        topic=world.topic, key="colour", label="Colour", kind="choice", choices="Red\nBlue"
    )
    TopicField.objects.create(topic=world.topic, key="pages", label="Pages", kind="number")
    TopicField.objects.create(topic=world.topic, key="since", label="Since", kind="date")
    TopicField.objects.create(topic=world.sales_topic, key="seats", label="Seats", kind="number")

    response = client.post(
        "/open/",
        ticket_form(
            world,
            **{
                prefix + "asset_tag": " LT-0427 ",
                prefix + "colour": "Blue",
                prefix + "pages": "12",
                prefix + "since": "2026-03-02",
                # Another topic's answer, even a wrong one, is ignored.
                f"topic_{world.sales_topic.pk}_seats": "many",
            },
        ),
    )

    assert response.status_code == 302
    assert Ticket.objects.get().extra == {
        "asset_tag": "LT-0427",
        "colour": "Blue",
        "pages": "12",
        "since": "2026-03-02",
    }


def test_wrong_topic_answers_are_refused_with_a_message(client: Client, world: World) -> None:
    prefix = f"topic_{world.topic.pk}_"
    TopicField.objects.create(
        topic=world.topic, key="colour", label="Colour", kind="choice", choices="Red\nBlue"
    )
    TopicField.objects.create(topic=world.topic, key="pages", label="Pages", kind="number")
    TopicField.objects.create(topic=world.topic, key="since", label="Since", kind="date")

    response = client.post(
        "/open/",
        ticket_form(
            world,
            **{prefix + "colour": "Green", prefix + "pages": "a few", prefix + "since": "soon"},
        ),
    )

    html = response.content.decode()
    assert "Choose one of the options." in html
    assert "Enter a number." in html
    assert "Enter a date as YYYY-MM-DD." in html
    assert not Ticket.objects.exists()


def test_an_invalid_form_keeps_what_was_typed(client: Client, world: World) -> None:
    asset_tag_question(world, required=False)
    data: dict[str, Any] = ticket_form(
        world,
        email="not an address",
        subject="",
        phone="555-0123",
        **{f"topic_{world.topic.pk}_asset_tag": "LT-99"},
    )

    response = client.post("/open/", data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the marked fields below." in html
    assert "Enter a valid email address." in html
    assert "This field is required." in html
    assert 'value="Grace Guest"' in html
    assert 'value="not an address"' in html
    assert 'value="555-0123"' in html
    assert 'value="LT-99"' in html
    assert "The scanner jams on every page." in html
    assert f'<option value="{world.topic.pk}" selected>' in html
    assert 'aria-invalid="true"' in html
    assert not Ticket.objects.exists()
    assert not Customer.objects.filter(email__icontains="grace").exists()


def test_an_invalid_form_with_files_asks_to_attach_them_again(client: Client, world: World) -> None:
    response = client.post("/open/", ticket_form(world, subject="", attachments=[upload()]))

    assert response.status_code == 200
    assert "attach the files again" in response.content.decode()


def test_a_too_big_attachment_is_refused_with_a_message(
    client: Client, world: World, settings: Any
) -> None:
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 10

    response = client.post("/open/", ticket_form(world, attachments=[upload("big.png", b"x" * 11)]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "“big.png” is 11\xa0bytes; the limit is 10\xa0bytes." in html
    assert "attach the files again" in html
    assert not Ticket.objects.exists()


def test_a_file_of_a_refused_type_is_refused_with_a_message(client: Client, world: World) -> None:
    response = client.post("/open/", ticket_form(world, attachments=[upload("run-me.exe", b"MZ")]))

    assert response.status_code == 200
    assert "“run-me.exe”: files of type .exe are not accepted." in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_attachment_limits_are_shown_as_help(client: Client, world: World) -> None:
    html = client.get("/open/").content.decode()
    assert "Up to 5 files, 10.0\xa0MB each: .png" in html


def test_attachments_are_saved_and_downloadable_as_files(client: Client, world: World) -> None:
    files = [upload("screenshot.png", b"\x89PNG one"), upload("notes.txt", b"<b>hi</b>")]

    client.post("/open/", ticket_form(world, attachments=files))

    ticket = Ticket.objects.get()
    saved = {a.filename: a for a in Attachment.objects.filter(entry__ticket=ticket)}
    assert set(saved) == {"screenshot.png", "notes.txt"}
    page = client.get("/open/thanks/").content.decode()
    link = page.split('class="signed-link" href="http://testserver', 1)[1].split('"', 1)[0]
    ticket_page = client.get(link).content.decode()
    file_url = f"{link}files/{saved['notes.txt'].pk}/"
    assert f'href="{file_url}"' in ticket_page

    response = client.get(file_url)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="notes.txt"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"<b>hi</b>"  # type: ignore[attr-defined]


def test_a_description_with_a_script_is_stored_and_shown_as_text(
    client: Client, world: World
) -> None:
    client.post("/open/", ticket_form(world, description="<script>alert('x')</script> help"))

    ticket = Ticket.objects.get()
    assert "<script>" not in ticket.entries.get().body
    page = client.get(client.get("/open/thanks/").context["link"]).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_opening_tickets_is_throttled_per_address(
    client: Client, world: World, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = True
    for _ in range(20):
        assert client.post("/open/", {}).status_code == 200

    response = client.post("/open/", ticket_form(world))

    assert response.status_code == 429
    assert "Please slow down" in response.content.decode()
    assert not Ticket.objects.exists()
    assert client.get("/open/").status_code == 200  # reading the form is not throttled


def test_the_customer_sees_an_attached_picture_previewed(client: Client, world: World) -> None:
    from helpline.desk.tests.test_desk import PNG

    client.post("/open/", ticket_form(world, attachments=[upload("screen.png", PNG)]))
    attachment = Attachment.objects.get()
    link = client.get("/open/thanks/").context["link"]
    file_url = f"{link.removeprefix('http://testserver')}files/{attachment.pk}/"
    assert f'<img src="{file_url}?view=1"' in client.get(link).content.decode()
    picture = client.get(file_url, {"view": "1"})
    assert picture["Content-Type"] == "image/png"
    assert not picture["Content-Disposition"].startswith("attachment")
