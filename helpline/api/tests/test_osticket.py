"""The osTicket-compatible API, sent to exactly as osTicket's own example script
(setup/scripts/api_ticket_create.php), its documentation (setup/doc/api/tickets.md)
and common integrations send requests, checked by the tickets that result."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from django.test import Client

from helpline.conftest import World
from helpline.tickets.models import Entry, Event, EventKind, Priority, Source, Ticket, TopicField

from .conftest import make_key
from .osticket import VALID, created, php_json, post

# The GIF from osTicket's XML example, wrapped as it wraps it.
GIF = base64.b64decode(
    "R0lGODdhMAAwAPAAAAAAAP///ywAAAAAMAAwAAAC8IyPqcvt3wCcDkiLc7C0qwyGHhSWpjQu5yqmCYsapyuvUUlv"
    "ONmOZtfzgFzByTB10QgxOR0TqBQejhRNzOfkVJ+5YiUqrXF5Y5lKh/DeuNcP5yLWGsEbtLiOSpa/TPg7JpJHxyen"
    "dzWTBfX0cxOnKPjgBzi4diinWGdkF8kjdfnycQZXZeYGejmJlZeGl9i2icVqaNVailT6F5iJ90m6mvuTS4OK05M0"
    "vDk0Q4XUtwvKOzrcd3iq9uisF81M1OIcR7lEewwcLp7tuNNkM3uNna3F2JQFo97Vriy/Xl4/f1cf5VWzXyym7PHh"
    "hx4dbgYKAAA7"
)


def entry(ticket: Ticket) -> Entry:
    return Entry.objects.get(ticket=ticket)


def test_osTickets_own_example_script_opens_a_ticket(
    world: World, client: Client, key: str
) -> None:
    """curl with CURLOPT_POSTFIELDS=json_encode($data) and no Content-Type: the JSON
    arrives as application/x-www-form-urlencoded."""
    data = {
        "name": "John Doe",
        "email": "mailbox@host.com",
        "subject": "Message de test de l'API",
        "message": "Ceci est un test de l'API d'osTicket",
        "ip": "203.0.113.9",
        "attachments": [],
    }

    response = post(
        client,
        "/api/tickets.json",
        php_json(data),
        key,
        HTTP_USER_AGENT="osTicket API Client v1.7",
        HTTP_EXPECT="",
    )

    ticket = created(response)
    assert response["Content-Type"].startswith("text/plain")
    assert (ticket.subject, ticket.customer.name, ticket.customer.email) == (
        "Message de test de l'API",
        "John Doe",
        "mailbox@host.com",
    )
    assert ticket.source == Source.API
    assert ticket.topic == world.topic  # no topicId: the key's default topic
    assert ticket.extra == {"ip": "203.0.113.9"}
    assert entry(ticket).body == "<p>Ceci est un test de l'API d'osTicket</p>"


def test_the_example_scripts_attachment_as_a_data_url(
    world: World, client: Client, key: str, media: Path
) -> None:
    data = {
        "name": "John Doe",
        "email": "mailbox@host.com",
        "subject": "With a file",
        "message": "See attached",
        "attachments": [
            {"filename.pdf": "data:image/png;base64," + base64.b64encode(b"%PDF-1.4").decode()}
        ],
    }

    ticket = created(post(client, "/api/tickets.json", php_json(data), key))

    [attachment] = entry(ticket).attachments.all()
    assert (attachment.filename, attachment.content_type) == ("filename.pdf", "application/pdf")
    assert attachment.file.read() == b"%PDF-1.4"


def test_the_documented_json_example_with_html_message_and_trailing_comma(
    world: World, client: Client, key: str, media: Path
) -> None:
    body = """{
        "alert": true,
        "autorespond": true,
        "source": "API",
        "name": "Angry User",
        "email": "api@osticket.com",
        "phone": "3185558634X123",
        "subject": "Testing API",
        "ip": "123.211.233.122",
        "message": "data:text/html,MESSAGE <b>HERE</b><script>alert(1)</script>",
        "attachments": [
            {"file.txt": "data:text/plain;charset=utf-8,content"},
            {"image.png": "data:image/png;base64,R0lGODdhMAA="},
        ]
    }"""

    ticket = created(post(client, "/api/tickets.json", body, key, "application/json"))

    assert entry(ticket).body == "MESSAGE <b>HERE</b>"
    assert ticket.customer.phone == "3185558634X123"
    files = {a.filename: a.file.read() for a in entry(ticket).attachments.all()}
    assert files == {"file.txt": b"content", "image.png": base64.b64decode("R0lGODdhMAA=")}


def test_the_http_php_path_and_a_python_integration(world: World, client: Client, key: str) -> None:
    """requests.post(url, json=payload, headers={"X-API-Key": key}) to http.php, with
    the address as "Name <addr>", ids as strings, a custom field and no autoresponse."""
    TopicField.objects.create(topic=world.sales_topic, key="order_no", label="Order number")
    high = Priority.objects.get(name="High")
    payload = {
        "email": "Grace Hopper <grace@example.net>",
        "subject": "Order  stuck",
        "message": "data:text/plain;charset=utf-8,Order%2042%20is%20stuck",
        "topicId": str(world.sales_topic.pk),
        "priorityId": str(high.pk),
        "autorespond": False,
        "alert": "false",
        "order_no": 42,
        "unknown_field": {"nested": "ignored"},
    }

    ticket = created(
        post(client, "/api/http.php/tickets.json", json.dumps(payload), key, "application/json")
    )

    assert (ticket.customer.name, ticket.customer.email) == ("Grace Hopper", "grace@example.net")
    assert (ticket.subject, ticket.topic, ticket.priority) == (
        "Order stuck",
        world.sales_topic,
        high,
    )
    assert ticket.department == world.sales
    assert ticket.extra == {"order_no": "42"}
    assert entry(ticket).body == "<p>Order 42 is stuck</p>"
    event = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert event.data["autorespond"] is False
    assert event.actor_name == "System"


def test_without_topic_id_or_default_topic_the_first_active_topic_is_used(
    world: World, client: Client
) -> None:
    plain = make_key(scopes=["tickets:create"])

    ticket = created(post(client, "/api/tickets.json", VALID, plain))

    assert ticket.topic == world.sales_topic  # "Pricing": first by order, then name


def test_a_base64_message_in_a_data_url(world: World, client: Client, key: str) -> None:
    html = "<p>Grüße</p>".encode("iso-8859-1")
    message = "data:text/html;charset=iso-8859-1;base64," + base64.b64encode(html).decode()
    data = {"name": "A", "email": "a@example.com", "subject": "S", "message": message}

    ticket = created(post(client, "/api/tickets.json", json.dumps(data), key))

    assert entry(ticket).body == "<p>Grüße</p>"


def test_the_documented_xml_example_with_child_elements(
    world: World, client: Client, key: str, media: Path
) -> None:
    gif = base64.b64encode(GIF).decode()
    wrapped = "\n            ".join(gif[i : i + 64] for i in range(0, len(gif), 64))
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<ticket alert="true" autorespond="true" source="API">
    <name>Angry User</name>
    <email>api@osticket.com</email>
    <subject>Testing API</subject>
    <phone ext="123">318-555-8634</phone>
    <message type="text/plain"><![CDATA[Message content here]]></message>
    <attachments>
        <file name="file.txt" type="text/plain"><![CDATA[
            File content is here and is automatically trimmed
        ]]></file>
        <file name="image.gif" type="image/gif" encoding="base64">
            {wrapped}
        </file>
    </attachments>
    <ip>123.211.233.122</ip>
</ticket>"""

    ticket = created(post(client, "/api/tickets.xml", xml, key, "application/xml"))

    assert (ticket.subject, ticket.customer.name) == ("Testing API", "Angry User")
    assert ticket.customer.phone == "318-555-8634X123"
    assert ticket.extra == {"ip": "123.211.233.122"}
    assert entry(ticket).body == "<p>Message content here</p>"
    files = {a.filename: a.file.read() for a in entry(ticket).attachments.all()}
    assert files == {
        "file.txt": b"File content is here and is automatically trimmed",
        "image.gif": GIF,
    }


def test_xml_with_attributes_and_an_html_message(world: World, client: Client, key: str) -> None:
    xml = (
        f'<ticket name="Attr User" email="attr@example.com" subject="All attributes" '
        f'topicId="{world.sales_topic.pk}" autorespond="false">'
        '<message type="text/html"><![CDATA[<p>Hello <em>there</em></p>]]></message>'
        "</ticket>"
    )

    ticket = created(post(client, "/api/http.php/tickets.xml", xml, key, "text/xml"))

    assert (ticket.subject, ticket.topic) == ("All attributes", world.sales_topic)
    assert entry(ticket).body == "<p>Hello <em>there</em></p>"
    created_event = Event.objects.get(ticket=ticket, kind=EventKind.CREATED)
    assert created_event.data["autorespond"] is False


RAW_EMAIL = b"""MIME-Version: 1.0
Date: Thu, 7 Feb 2013 11:01:04 -0600
Message-ID: <CAL4KyrgKmpYxdX+6u3HyHZ3qN5K0mU2_test@example.com>
Subject: Testing
From: Peter Rotich <peter@example.com>
To: support@example.com
Content-Type: multipart/mixed; boundary=047d7bfcfaf263782204d52563a5

--047d7bfcfaf263782204d52563a5
Content-Type: text/plain; charset=ISO-8859-1

Testing testing.

--047d7bfcfaf263782204d52563a5
Content-Type: text/plain; charset=US-ASCII; name="file.txt"
Content-Disposition: attachment; filename="file.txt"
Content-Transfer-Encoding: base64

Sm9lIGRhZGR5cyBjb250ZW50Cg==
--047d7bfcfaf263782204d52563a5--
"""


def test_a_raw_email_opens_a_ticket_through_mail_intake(
    world: World, client: Client, key: str, media: Path
) -> None:
    """Needs `helpline.intake.ingest.ingest_message` (mail intake)."""
    response = post(client, "/api/tickets.email", RAW_EMAIL, key, "message/rfc822")

    ticket = created(response)
    assert ticket.subject == "Testing"
    assert ticket.customer.email == "peter@example.com"
    assert "Testing testing." in entry(ticket).body


def test_the_same_email_sent_twice_is_one_ticket(
    world: World, client: Client, key: str, media: Path
) -> None:
    first = created(post(client, "/api/tickets.email", RAW_EMAIL, key, "message/rfc822"))
    again = created(post(client, "/api/tickets.email", RAW_EMAIL, key, "message/rfc822"))

    assert again == first
    assert Ticket.objects.count() == 1


def test_an_auto_reply_by_email_opens_nothing(world: World, client: Client, key: str) -> None:
    auto = RAW_EMAIL.replace(
        b"Subject: Testing", b"Subject: Out of office\nAuto-Submitted: auto-replied"
    )

    response = post(client, "/api/tickets.email", auto, key, "message/rfc822")

    assert response.status_code == 202, response.content
    assert "Auto-Submitted" in response.content.decode()
    assert not Ticket.objects.exists()
