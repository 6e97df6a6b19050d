"""Bodies built to hurt: each is refused with a 4xx before it costs us, never a 500.

Bounds (helpline.api.inputs, helpline.api.osticket.parse): the body's size (after
the key is checked), JSON depth and number of values, XML depth and number of
elements, no XML entities, known encodings only, the number of attachments and
their size (before any is decoded), the length of subjects and messages.

The REST API answers JSON (413 for size, 422 for the rest); the osTicket
endpoints answer as osTicket does, in plain text (413, 400).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from django.test import Client

from helpline.api.inputs import MAX_JSON_DEPTH, MAX_JSON_TOKENS, MAX_MESSAGE_CHARS
from helpline.api.osticket.parse import MAX_XML_DEPTH, MAX_XML_ELEMENTS
from helpline.conftest import World
from helpline.tickets.models import Ticket

from .conftest import Api, make_key
from .osticket import post

BASE = {"email": "a@example.com", "subject": "S", "message": "M"}


@pytest.fixture
def osticket_key(world: World) -> str:
    return make_key(scopes=["tickets:create"], default_topic=world.topic)


def plain(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("text/plain")
    assert words in response.content.decode()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- the reproductions of issue 9 -----------------------------------------------------


def test_a_trailing_comma_beside_deeply_nested_arrays_is_a_400_not_a_recursion_error(
    client: Client, osticket_key: str
) -> None:
    """The strict parse stopped at the comma; the lenient retry without it then
    recursed 100,000 levels deep and raised RecursionError: a 500."""
    body = '{"email": "a@example.com", "x": [1,], "y": ' + nested(100_000) + "}"

    response = post(client, "/api/tickets.json", body, osticket_key)

    plain(response, 400, "nested too deeply")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("encoding", ["x-bogus", "UTF-7", "utf-32", "cp65001"])
def test_an_xml_document_in_an_unknown_or_unsupported_encoding_is_a_400(
    client: Client, osticket_key: str, encoding: str
) -> None:
    body = f'<?xml version="1.0" encoding="{encoding}"?><ticket><email>a@b.c</email></ticket>'

    response = post(client, "/api/tickets.xml", body.encode(), osticket_key, "application/xml")

    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("text/plain")


# --- JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        nested(MAX_JSON_DEPTH + 1),
        "[" + ",".join(["0"] * (MAX_JSON_TOKENS + 1)) + "]",
        "[" + ",".join(["[]"] * 2_000_000) + "]",  # ~6 MB, ~2 million lists
    ],
    ids=["too deep", "too many values", "millions of lists"],
)
def test_json_too_deep_or_too_large_in_values_is_refused_before_it_is_parsed(
    world: World, channel: Api, client: Client, osticket_key: str, extra: str
) -> None:
    raw = json.dumps({**BASE, "topic_id": world.topic.pk})[:-1] + ', "more": ' + extra + "}"

    started = time.perf_counter()
    rest = channel.post("/tickets", raw=raw)
    ost = post(client, "/api/tickets.json", raw, osticket_key)
    elapsed = time.perf_counter() - started

    assert rest.status_code == 422, rest.content
    assert rest.json()["field"] is None and "JSON" in rest.json()["detail"]
    assert ost.status_code == 400 and "JSON" in ost.content.decode()
    assert elapsed < 2  # refused by the scan, not after building millions of objects


def test_json_at_the_bounds_is_still_taken(world: World, channel: Api) -> None:
    """Depth 3 (a ticket with attachments) is what we need; a few levels more in
    an ignored field are fine."""
    raw = json.dumps({**BASE, "topic_id": world.topic.pk, "cc": []})
    raw = raw[:-1] + ', "ignored": ' + nested(MAX_JSON_DEPTH - 1) + "}"

    assert channel.post("/tickets", raw=raw).status_code == 201


def test_brackets_and_quotes_inside_strings_do_not_count(world: World, channel: Api) -> None:
    message = '[[[{{{"\\"' * 20_000  # text, not structure
    raw = json.dumps({**BASE, "message": message, "topic_id": world.topic.pk})

    assert channel.post("/tickets", raw=raw).status_code == 201


def test_a_form_body_with_too_many_fields_is_a_400(client: Client, osticket_key: str) -> None:
    body = "&".join(f"f{i}=x" for i in range(5_000))

    response = post(client, "/api/tickets.json", body, osticket_key)

    plain(response, 400, "form fields")


# --- XML -------------------------------------------------------------------------------


def test_xml_nested_too_deeply_is_a_400(client: Client, osticket_key: str) -> None:
    deep = "<a>" * 100_000 + "</a>" * 100_000
    body = f"<ticket><email>a@example.com</email>{deep}</ticket>"

    response = post(client, "/api/tickets.xml", body, osticket_key, "application/xml")

    plain(response, 400, f"deeper than {MAX_XML_DEPTH}")


def test_xml_with_too_many_elements_is_a_400(client: Client, osticket_key: str) -> None:
    body = "<ticket>" + "<x/>" * (MAX_XML_ELEMENTS + 1) + "</ticket>"

    response = post(client, "/api/tickets.xml", body, osticket_key, "application/xml")

    plain(response, 400, f"more than {MAX_XML_ELEMENTS} elements")


def test_xml_entities_are_refused(client: Client, osticket_key: str) -> None:
    lol = '<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
    body = f'<?xml version="1.0"?>{lol}<ticket><email>a@b.c</email><subject>&b;</subject></ticket>'

    response = post(client, "/api/tickets.xml", body, osticket_key, "application/xml")

    plain(response, 400, "entities")


# --- attachments, subjects, messages ----------------------------------------------


def test_too_many_attachments_are_refused_before_any_is_decoded(
    world: World, channel: Api, client: Client, osticket_key: str, settings: Any
) -> None:
    settings.HELPLINE_MAX_ATTACHMENTS = 2
    data = base64.b64encode(b"x" * 1000).decode()
    files = [{"filename": f"{i}.txt", "data": data} for i in range(3)]
    rest = channel.post("/tickets", {**BASE, "topic_id": world.topic.pk, "attachments": files})
    ost_json = json.dumps({**BASE, "attachments": [{f"{i}.txt": data} for i in range(3)]})
    ost_xml = (
        "<ticket><email>a@example.com</email><subject>S</subject><message>M</message>"
        "<attachments>"
        + "".join(f'<file name="{i}.txt" encoding="base64">{data}</file>' for i in range(3))
        + "</attachments></ticket>"
    )

    assert rest.status_code == 422 and rest.json()["field"] == "attachments"
    plain(post(client, "/api/tickets.json", ost_json, osticket_key), 400, "at most 2 files")
    plain(
        post(client, "/api/tickets.xml", ost_xml, osticket_key, "application/xml"),
        400,
        "at most 2 files",
    )


def test_an_attachment_too_large_is_refused_by_its_encoded_length(
    world: World, client: Client, osticket_key: str, settings: Any
) -> None:
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 1024
    data = base64.b64encode(b"x" * 1025).decode()
    body = json.dumps(
        {**BASE, "attachments": [{"name": "a.txt", "data": data, "encoding": "base64"}]}
    )

    plain(post(client, "/api/tickets.json", body, osticket_key), 400, "the limit is 1.0")


def test_an_osticket_message_or_subject_past_its_limit_is_a_400(
    client: Client, osticket_key: str
) -> None:
    long_message = json.dumps({**BASE, "message": "x" * (MAX_MESSAGE_CHARS + 1)})
    long_subject = json.dumps({**BASE, "subject": "x" * 20_000})

    plain(post(client, "/api/tickets.json", long_message, osticket_key), 400, "message is longer")
    plain(post(client, "/api/tickets.json", long_subject, osticket_key), 400, "subject is longer")


def test_a_body_past_the_limit_is_413_on_both_apis(
    world: World, channel: Api, client: Client, osticket_key: str, settings: Any
) -> None:
    settings.HELPLINE_MAX_ATTACHMENTS = 1
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = json.dumps({**BASE, "message": "y" * 3 * 2**20})

    rest = channel.post("/tickets", raw=body)
    ost = post(client, "/api/tickets.json", body, osticket_key)

    assert rest.status_code == 413 and rest["Content-Type"].startswith("application/json")
    plain(ost, 413, "larger than")
