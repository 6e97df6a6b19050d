"""Who gets in, and with which rights: keys, tokens, scopes, allowlists."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from helpline.api.models import AgentToken, ApiKey
from helpline.conftest import World

from .conftest import Api, make_key, make_token


def assert_error(response: object, status: int, detail: str, field: str | None = None) -> None:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert detail in body["detail"]
    assert body["field"] == field


def test_a_request_without_a_key_is_told_how_to_send_one(channel: Api) -> None:
    response = channel.as_key("").get("/tickets")

    assert_error(response, 401, "Authorization: Bearer <key>")


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_a_key_works_in_either_header(world: World, channel: Api, header: str) -> None:
    assert channel.as_key(channel.key, header).get("/tickets").status_code == 200


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_an_unknown_key_is_refused(channel: Api, header: str) -> None:
    response = channel.as_key("hl_" + "x" * 43, header).get("/tickets")

    assert_error(response, 401, "not valid")


def test_an_absurdly_long_or_non_ascii_key_is_refused_without_a_lookup(
    channel: Api, django_assert_num_queries: object
) -> None:
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert channel.as_key("k" * 5000).get("/tickets").status_code == 401
        assert channel.as_key("hl_ключ").get("/tickets").status_code == 401


def test_an_inactive_key_is_refused(world: World, channel: Api) -> None:
    secret = make_key(is_active=False)

    assert_error(channel.as_key(secret).get("/tickets"), 401, "not valid, not active")


def test_a_key_is_refused_from_outside_its_allowlist(world: World, channel: Api) -> None:
    secret = make_key(allowed_ips="10.0.0.0/8\n2001:db8::/32")

    assert channel.as_key(secret, address="10.20.30.40").get("/tickets").status_code == 200
    assert channel.as_key(secret, address="2001:db8::1").get("/tickets").status_code == 200
    refused = channel.as_key(secret, address="192.0.2.1").get("/tickets")
    assert_error(refused, 401, "may not be used from 192.0.2.1")


def test_a_revoked_token_is_refused(world: World, channel: Api) -> None:
    secret = make_token(world.agent)
    AgentToken.objects.update(revoked_at=timezone.now())

    assert_error(channel.as_key(secret).get("/tickets"), 401, "revoked")


def test_the_token_of_a_deactivated_agent_is_refused(world: World, channel: Api) -> None:
    secret = make_token(world.agent)
    world.agent.user.is_active = False
    world.agent.user.save()

    assert channel.as_key(secret).get("/tickets").status_code == 401


def test_a_key_acting_as_a_deactivated_agent_is_refused(world: World, channel: Api) -> None:
    secret = make_key(agent=world.agent)
    world.agent.user.is_active = False
    world.agent.user.save()

    assert_error(channel.as_key(secret).get("/tickets"), 401, "agent this API key acts as")


@pytest.mark.parametrize(
    ("scopes", "method", "path", "missing"),
    [
        (["tickets:read"], "post", "/tickets", "tickets:create"),
        (["tickets:create"], "get", "/tickets", "tickets:read"),
        (["tickets:create"], "get", "/customers?email=ken@example.com", "tickets:read"),
        (["tickets:read"], "post", "/tickets/123456/close", "tickets:write"),
    ],
)
def test_a_key_without_the_scope_is_refused(
    world: World, channel: Api, scopes: list[str], method: str, path: str, missing: str
) -> None:
    api = channel.as_key(make_key(scopes=scopes, agent=world.admin))

    response = api.post(path, {}) if method == "post" else api.get(path)

    assert_error(response, 403, f"does not have the {missing} scope")


def test_the_admin_scope_implies_every_other(world: World, channel: Api) -> None:
    api = channel.as_key(make_key(scopes=["admin"]))

    assert api.get("/tickets").status_code == 200


def test_a_key_with_no_scope_reads_no_lookups(world: World, channel: Api) -> None:
    api = channel.as_key(make_key(scopes=[]))

    assert_error(api.get("/topics"), 403, "none of the scopes tickets:create, tickets:read")


def test_using_a_key_records_when_and_from_where_at_most_once_a_minute(
    world: World, channel: Api
) -> None:
    api = channel.as_key(make_key(), address="192.0.2.10")

    api.get("/tickets")
    key = ApiKey.objects.get(name="Integration", last_used_at__isnull=False)
    first = key.last_used_at
    assert key.last_used_ip == "192.0.2.10"
    api.get("/tickets")
    key.refresh_from_db()
    assert key.last_used_at == first  # no write for a second request a moment later

    ApiKey.objects.update(last_used_at=timezone.now() - timedelta(minutes=5))
    api.get("/tickets")
    key.refresh_from_db()
    assert key.last_used_at is not None and key.last_used_at > first  # type: ignore[operator]


def test_using_a_token_records_when(world: World, agent_api: Api) -> None:
    agent_api.get("/tickets")

    assert AgentToken.objects.get().last_used_at is not None


def test_the_key_is_checked_before_a_large_body_is_read(
    world: World, channel: Api, media: object
) -> None:
    """An unknown client cannot make the server buffer a big body: the key is
    checked first, and only a known key gets past Django's form-size limit."""
    log = {"filename": "big.log", "data": base64.b64encode(b"x" * 3 * 2**20).decode()}
    big = {"email": "a@example.com", "subject": "x", "message": "y", "attachments": [log]}

    assert channel.as_key("").post("/tickets", big).status_code == 401
    response = channel.post("/tickets", {**big, "topic_id": world.topic.pk})
    assert response.status_code == 201, response.content


def test_a_body_past_the_attachment_budget_is_refused_as_too_large(
    world: World, channel: Api, settings: object
) -> None:
    settings.HELPLINE_MAX_ATTACHMENTS = 1  # type: ignore[attr-defined]
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = 1024  # type: ignore[attr-defined]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096  # type: ignore[attr-defined]

    response = channel.post("/tickets", {"email": "a@example.com", "message": "y" * 3 * 2**20})

    assert_error(response, 413, "larger than")
