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
