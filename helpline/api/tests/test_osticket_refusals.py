"""The osTicket-compatible API refuses as osTicket does: 401 for a key that is
missing, unknown, inactive, used from the wrong address or not allowed to create
tickets; 400 with a plain message for malformed input; nothing is opened."""

from __future__ import annotations

import pytest
from django.test import Client

from helpline.api.models import ApiKey
from helpline.conftest import World
from helpline.tickets.models import Ticket

from .conftest import make_key
from .osticket import VALID, created, post


def test_no_key_a_bad_key_and_an_inactive_key_are_401(
    world: World, client: Client, key: str
) -> None:
    inactive = make_key(scopes=["tickets:create"], is_active=False)

    for sent in ("", "BA00B76BAA30F62E1940B46CC1C3C73C", inactive):
        response = post(client, "/api/tickets.json", VALID, sent)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("text/plain")
    assert not Ticket.objects.exists()


def test_a_key_used_from_outside_its_allowlist_is_401(
    world: World, client: Client, key: str
) -> None:
    response = post(client, "/api/tickets.json", VALID, key, REMOTE_ADDR="198.51.100.1")

    assert response.status_code == 401
    assert response.content.decode() == "This API key may not be used from 198.51.100.1."
    assert (
        post(client, "/api/tickets.json", VALID, key, REMOTE_ADDR="192.0.2.44").status_code == 201
    )


def test_a_key_without_the_create_scope_is_401(world: World, client: Client) -> None:
    reader = make_key(scopes=["tickets:read"])

    response = post(client, "/api/tickets.json", VALID, reader)

    assert (response.status_code, response.content) == (
        401,
        b"API key not authorized to create tickets.",
    )


def test_an_imported_osticket_key_keeps_working(world: World, client: Client) -> None:
    old = "BA00B76BAA30F62E1940B46CC1C3C73C"
    stored = ApiKey(name="Old", scopes=["tickets:create"])
    stored.set_secret(old)
    stored.save()

    assert post(client, "/api/tickets.json", VALID, old).status_code == 201


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/tickets.json", "{broken", "Malformed JSON"),
        ("/api/tickets.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("/api/tickets.json", "[1, 2]", "Expected a JSON object"),
        ("/api/tickets.json", b"\xff\xfe", "not UTF-8"),
        ("/api/tickets.json", '{"email": "a@example.com", "message": "m"}', "subject"),
        ("/api/tickets.json", '{"subject": "s", "message": "m"}', "email"),
        ("/api/tickets.json", '{"email": "nope", "subject": "s", "message": "m"}', "not a valid"),
        (  # passes Django's validator (320), too long for the column (PostgreSQL: 500)
            "/api/tickets.json",
            '{"email": "%s@example.com", "subject": "s", "message": "m"}' % ("x" * 300),
            "at most 254 characters",
        ),
        (
            "/api/tickets.xml",
            "<ticket><email>Ken &lt;%s@example.com&gt;</email><subject>s</subject>"
            "<message>m</message></ticket>" % ("x" * 250),
            "at most 254 characters",
        ),
        ("/api/tickets.json", '{"email": "a@example.com", "subject": "s"}', "message"),
        (
            "/api/tickets.json",
            '{"email": "a@example.com", "subject": "s", "message": "m", "topicId": 999}',
            "no active help topic with id 999",
        ),
        (
            "/api/tickets.json",
            '{"email": "a@example.com", "subject": "s", "message": "m", "priorityId": "x"}',
            "priorityId: expected a number",
        ),
        (
            "/api/tickets.json",
            '{"email":"a@example.com","subject":"s","message":"m","attachments":[{"a.exe":"data:,x"}]}',
            "type .exe",
        ),
        (
            "/api/tickets.json",
            '{"email":"a@example.com","subject":"s","message":"m","attachments":[{"a.png":"data:image/png;base64,@@@"}]}',
            "not valid base64",
        ),
        ("/api/tickets.xml", "<ticket><name>unclosed</ticket>", "Malformed XML"),
        ("/api/tickets.xml", "<order/>", "Expected a <ticket> document"),
        (
            "/api/tickets.xml",
            '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x "boom">]><ticket name="&x;"/>',
            "entities and DTDs are not accepted",
        ),
        ("/api/tickets.email", "", "empty"),
    ],
)
def test_malformed_input_is_a_400_with_a_plain_message(
    world: World, client: Client, key: str, path: str, body: str | bytes, message: str
) -> None:
    response = post(client, path, body, key)

    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("text/plain")
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


def test_only_post_is_answered(world: World, client: Client, key: str) -> None:
    assert client.get("/api/tickets.json", headers={"X-API-Key": key}).status_code == 405


def test_a_json_body_that_is_really_form_fields_is_read_as_them(
    world: World, client: Client, key: str
) -> None:
    form = "name=Form+User&email=form%40example.com&subject=From+a+form&message=Hi"

    ticket = created(post(client, "/api/tickets.json", form, key))

    assert (ticket.customer.email, ticket.subject) == ("form@example.com", "From a form")
