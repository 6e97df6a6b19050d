"""Whatever goes wrong under /api/, the answer is JSON `{detail, field}`: unknown
paths, wrong methods, and even a bug (an exception nobody expected), which is
logged with its traceback."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from helpline.api.osticket import views as osticket_views
from helpline.conftest import World
from helpline.tickets.models import Status

from .conftest import Api, make_key
from .osticket import VALID, post


def is_json_error(response: Any, status: int) -> bool:
    return (
        response.status_code == status
        and response["Content-Type"].startswith("application/json")
        and set(response.json()) == {"detail", "field"}
    )


def _boom(*args: object, **kwargs: object) -> Any:
    raise RuntimeError("a bug we did not foresee")


def test_an_unexpected_error_in_a_rest_endpoint_is_a_logged_json_500(
    world: World, channel: Api, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setattr(Status.objects, "all", _boom)

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = channel.get("/statuses")

    assert is_json_error(response, 500)
    assert "a bug" not in response.content.decode()  # no internals to the client
    assert any(
        r.exc_info and "a bug we did not foresee" in str(r.exc_info[1]) for r in caplog.records
    )


def test_an_unexpected_error_in_the_osticket_endpoint_is_a_json_500(
    world: World, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(osticket_views, "open_from", _boom)

    response = post(client, "/api/tickets.json", VALID, make_key(default_topic=world.topic))

    assert is_json_error(response, 500)


def test_an_unexpected_error_in_authentication_is_a_json_500(
    world: World, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("helpline.api.security.authenticate", _boom)

    response = client.get("/api/v1/statuses", headers={"Authorization": "Bearer hl_x"})

    assert is_json_error(response, 500)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("get", "/api/tickets.json", "POST"),
        ("put", "/api/http.php/tickets.xml", "POST"),
        ("get", "/api/v1/tickets/123456/reply", "POST"),
        ("delete", "/api/v1/tickets", "GET, POST"),
        ("post", "/api/v1/statuses", "GET"),
        # The schema and its docs page are read-only (they answered POST with 200).
        ("post", "/api/openapi.json", "GET, HEAD"),
        ("put", "/api/openapi.json", "GET, HEAD"),
        ("post", "/api/docs", "GET, HEAD"),
        ("delete", "/api/docs", "GET, HEAD"),
    ],
)
def test_a_wrong_method_is_a_json_405_that_says_which_methods_work(
    client: Client, method: str, path: str, allow: str
) -> None:
    response = getattr(client, method)(path)

    assert is_json_error(response, 405)
    assert sorted(response["Allow"].split(", ")) == sorted(allow.split(", "))


@pytest.mark.parametrize("path", ["/api/", "/api/v1", "/api/v1/tickets/1/2/3", "/api/docs/x"])
def test_a_path_that_is_no_endpoint_is_a_json_404(client: Client, path: str) -> None:
    assert is_json_error(client.get(path), 404)


# --- a Host header the site does not answer to ---------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/statuses"),
        ("post", "/api/v1/tickets"),
        ("post", "/api/tickets.json"),
        ("get", "/api/openapi.json"),
        ("get", "/api/no/such/endpoint"),
    ],
)
def test_a_host_the_site_does_not_serve_is_a_json_400_under_the_api(
    world: World, client: Client, settings: Any, caplog: Any, method: str, path: str
) -> None:
    """Django answers a DisallowedHost from its middleware with its HTML 400 page,
    before any view (and so json_errors) runs."""
    settings.ALLOWED_HOSTS = ["helpline.example"]
    key = make_key()

    with caplog.at_level(logging.WARNING, logger="django.security.DisallowedHost"):
        response = getattr(client, method)(
            path, headers={"X-API-Key": key}, HTTP_HOST="evil.example"
        )

    assert is_json_error(response, 400)
    assert "Host" in response.json()["detail"]
    assert "evil.example" in caplog.text  # logged as the web pages' bad hosts are:
    host_records = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert [(r.levelno, r.exc_info) for r in host_records] == [(logging.WARNING, None)]
    assert "no-store" in response["Cache-Control"]


def test_a_host_the_site_does_not_serve_elsewhere_is_still_djangos_400(
    client: Client, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["helpline.example"]

    response = client.get("/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


# --- no copies kept: Cache-Control: no-store on every answer -------------------------


def test_every_answer_under_the_api_is_no_store(
    world: World, client: Client, channel: Api, limits: Any
) -> None:
    """They carry ticket data, customers' addresses and keys' results: no browser,
    proxy or CDN keeps a copy. Successes, errors, both APIs, the schema."""
    limits.HELPLINE_API_RATE_PER_KEY = "1/m"
    key = make_key(scopes=["tickets:create"])
    answers = {
        "200": channel.get("/statuses"),
        "429": channel.get("/statuses"),
        "401": client.get("/api/v1/tickets", headers={"X-API-Key": "wrong"}),
        "404": client.get("/api/v1/nothing/here"),
        "405": client.delete("/api/openapi.json"),
        "schema": client.get("/api/openapi.json"),
        "docs": client.get("/api/docs"),
        "osticket 201": post(client, "/api/tickets.json", VALID, key),
        "osticket 401": post(client, "/api/tickets.json", VALID, "wrong"),
        "head": client.head("/api/openapi.json"),
    }

    for name, response in answers.items():
        assert "no-store" in response.get("Cache-Control", ""), name
        assert "private" in response["Cache-Control"], name
