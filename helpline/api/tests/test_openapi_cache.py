"""The OpenAPI schema is built once per process, per mount path and language, and
every answer is the same schema (helpline.api.rest.HelplineAPI)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from ninja import main as ninja_main

from helpline.api.rest import api


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each schema ninja builds from the operations (the real builder, counted), from
    a cache emptied for the test."""
    monkeypatch.setattr(api, "_schemas", {}, raising=False)
    built: list[str] = []
    real = ninja_main.get_schema

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs.get("path_prefix", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(ninja_main, "get_schema", counted)
    return built


def test_the_schema_is_built_once_and_served_alike(db: None, builds: list[str]) -> None:
    client = Client()
    first = client.get("/api/openapi.json")
    second = client.get("/api/openapi.json")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert "/api/v1/tickets" in first.json()["paths"]
    assert builds == ["/api/"]


def test_a_caller_changing_its_copy_changes_no_later_answer(builds: list[str]) -> None:
    mine = api.get_openapi_schema()
    mine["paths"].clear()

    assert api.get_openapi_schema()["paths"]
    assert len(builds) == 1


def test_each_language_gets_its_own_schema(builds: list[str]) -> None:
    with translation.override("en"):
        api.get_openapi_schema()
    with translation.override("de"):
        api.get_openapi_schema()
        api.get_openapi_schema()

    assert len(builds) == 2


def test_each_mount_path_gets_its_own_schema_and_the_cache_stays_small(
    builds: list[str],
) -> None:
    """Behind a proxy that mounts Helpline under a path (SCRIPT_NAME), the schema
    names that path; a request can choose the path, so only a few are kept."""
    under = api.get_openapi_schema(path_prefix="/helpdesk/api/")
    plain = api.get_openapi_schema()

    assert "/helpdesk/api/v1/tickets" in under["paths"]
    assert "/api/v1/tickets" in plain["paths"]
    for n in range(3 * api.MAX_CACHED):
        api.get_openapi_schema(path_prefix=f"/m{n}/api/")
    assert len(api._schemas) <= api.MAX_CACHED
