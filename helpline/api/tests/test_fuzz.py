"""Property-based bad input for the endpoints schemathesis does not cover well (see
test_schema.py for the run over the OpenAPI schema): the osTicket endpoints,
which take any body; the list filters and ticket numbers, which take any text.
Whatever comes in, the answer is never a 5xx, and API errors are JSON (osTicket
errors plain text, as osTicket's are).

Each property runs a bounded number of examples (`EXAMPLES`), so the file costs
seconds in CI; raise it locally to dig deeper (HELPLINE_FUZZ_EXAMPLES=2000).
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpline.conftest import World

from .conftest import make_key, make_token

EXAMPLES = int(os.environ.get("HELPLINE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

# JSON values of every kind, with the osTicket field names mixed in.
NAMES = st.sampled_from(
    ["name", "email", "subject", "message", "topicId", "priorityId", "attachments", "phone",
     "ip", "source", "autorespond", "alert", "x"]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["data:text/html,<b>x</b>", "data:;base64,!!", "a@example.com", "0", ""])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(NAMES | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
OBJECTS = st.dictionaries(NAMES, VALUES, max_size=8)


@pytest.fixture
def no_limits(settings: Any) -> None:
    settings.HELPLINE_API_RATE_PER_KEY = ""
    settings.HELPLINE_API_RATE_PER_ADDRESS = ""
    settings.HELPLINE_API_CREATE_RATE = ""


def assert_osticket_answer(response: Any) -> None:
    assert response.status_code < 500, response.content[:500]
    assert response.status_code in (201, 202, 400, 403, 413), response.content[:500]
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("text/plain")


@given(data=OBJECTS, trailing_comma=st.booleans())
@example(data={"email": "a@example.com", "x": [[[[[]]]]]}, trailing_comma=True)
@FUZZ
def test_any_json_to_the_osticket_endpoint_opens_a_ticket_or_is_a_4xx(
    world: World, client: Client, no_limits: None, data: dict[str, Any], trailing_comma: bool
) -> None:
    key = make_key(scopes=["tickets:create"], default_topic=world.topic, name="fuzz")
    body = json.dumps(data)
    if trailing_comma and body.endswith("}") and len(body) > 2:
        body = body[:-1] + ",}"

    response = client.post(
        "/api/tickets.json", body, content_type="application/json", headers={"X-API-Key": key}
    )

    assert_osticket_answer(response)


XML_PIECES = st.sampled_from(
    [
        '<?xml version="1.0" encoding="x-bogus"?>', '<?xml version="1.0"?>', "<ticket>",
        "</ticket>", "<email>a@example.com</email>", "<subject>S</subject>",
        '<message type="text/html">', "</message>", "<attachments>",
        '<file name="a.txt" encoding="base64">', "</file>", "</attachments>", "<![CDATA[x]]>",
        "&amp;", "&bogus;", "&#0;", "&#x10FFFF;", "<!DOCTYPE t>", '<phone ext="1">', "</phone>",
        "<a>", "</a>", "<topicId>1</topicId>", "\x00", "é",
    ]
)  # fmt: skip


@given(pieces=st.lists(XML_PIECES | st.text(max_size=10), max_size=25))
@FUZZ
def test_any_xml_to_the_osticket_endpoint_opens_a_ticket_or_is_a_4xx(
    world: World, client: Client, no_limits: None, pieces: list[str]
) -> None:
    key = make_key(scopes=["tickets:create"], default_topic=world.topic, name="fuzz")
    body = "".join(pieces).encode("utf-8", "surrogatepass")

    response = client.post(
        "/api/tickets.xml", body, content_type="application/xml", headers={"X-API-Key": key}
    )

    assert_osticket_answer(response)


@given(body=st.binary(max_size=300))
@FUZZ
def test_any_bytes_to_the_osticket_endpoints_are_never_a_5xx(
    world: World, client: Client, no_limits: None, body: bytes
) -> None:
    key = make_key(scopes=["tickets:create"], default_topic=world.topic, name="fuzz")

    for fmt in ("json", "xml"):
        response = client.post(
            f"/api/tickets.{fmt}", body, content_type="text/plain", headers={"X-API-Key": key}
        )
        assert_osticket_answer(response)


FILTERS = st.sampled_from(
    ["status", "state", "department", "topic", "priority", "assignee", "customer_email",
     "updated_since", "team", "queue", "cursor", "limit"]
)  # fmt: skip


@given(params=st.dictionaries(FILTERS, st.text(max_size=30), max_size=5))
@example(params={"cursor": "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzE0OjAwIiwxXQ"})
@example(params={"updated_since": "9999-12-31T23:59:59-14:00"})
@FUZZ
def test_any_list_filter_is_a_page_or_a_json_422(
    world: World, client: Client, no_limits: None, params: dict[str, str]
) -> None:
    token = make_token(world.agent, name="fuzz")

    response = client.get("/api/v1/tickets", params, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code in (200, 422), response.content[:500]
    if response.status_code == 422:
        assert response.json()["field"] in {*FILTERS.elements, None}  # type: ignore[attr-defined]


@given(number=st.text(min_size=1, max_size=40))
@example(number="/\n")
@FUZZ
def test_any_ticket_number_is_a_ticket_or_a_json_404(
    world: World, client: Client, no_limits: None, number: str
) -> None:
    token = make_token(world.agent, name="fuzz")
    path = "/api/v1/tickets/" + quote(number.encode("utf-8", "surrogatepass"), safe="")

    for suffix in ("", "/thread", "/attachments/1"):
        response = client.get(path + suffix, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 404), response.content[:500]
        if response.status_code == 404:
            assert response.json()["field"] is None


@given(
    params=st.dictionaries(
        st.sampled_from(["preset", "start", "end", "group", "tz"]), st.text(max_size=30), max_size=5
    )
)
@example(
    params={"preset": "custom", "start": "9999-12-31", "end": "9999-12-31", "tz": "Asia/Tokyo"}
)
@example(
    params={"preset": "custom", "start": "2000-01-01", "end": "2000-01-01", "tz": "Etc/GMT+12"}
)
@FUZZ
def test_any_report_query_is_a_report_or_a_json_422(
    world: World, client: Client, no_limits: None, params: dict[str, str]
) -> None:
    token = make_token(world.admin, name="fuzz")

    response = client.get("/api/v1/reports", params, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code in (200, 422), response.content[:500]
