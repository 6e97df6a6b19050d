"""The JavaScript catalog under a URL a browser keeps (helpline/lib/jscatalog.py):
pages name their language's catalog and the current version, that URL answers
"keep it a year", an old version is answered but not kept, and the version is
read from the compiled catalogs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory

from helpline.lib import jscatalog
from helpline.lib.jscatalog import YEAR, catalog_version
from helpline.lib.middleware import ImmutableMiddleware

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r'<script src="(/i18n/[^"]+)" defer>')


def catalog_of(page: str) -> str:
    found = SCRIPT.search(page)
    assert found is not None, "the page names no catalog"
    return found[1]


@pytest.mark.parametrize(("accept", "language"), [("de-DE,de;q=0.9", "de"), ("en", "en")])
def test_a_page_names_the_catalog_of_its_language_and_version(
    client: Client, accept: str, language: str
) -> None:
    page = client.get("/", headers={"Accept-Language": accept})
    assert catalog_of(page.text) == f"/i18n/{language}/{catalog_version()}/catalog.js"


def test_the_named_catalog_is_kept_a_year_and_speaks_its_language(client: Client) -> None:
    url = catalog_of(client.get("/", headers={"Accept-Language": "de"}).text)
    # The URL, not the browser's language, says which catalog: an English
    # browser asking for the German one gets the German one.
    answer = client.get(url, headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Content-Language"] == "de"
    control = {part.strip() for part in answer["Cache-Control"].split(",")}
    assert {"public", f"max-age={YEAR}", "immutable"} <= control
    assert "Noch %(left)s Zeichen" in answer.text  # helpline/locale/de djangojs.po
    # One copy for everyone: no Vary from the session or language middleware.
    assert "Vary" not in answer


def test_only_a_public_immutable_answer_loses_its_vary() -> None:
    def answer(control: str) -> HttpResponseBase:
        def view(request: HttpRequest) -> HttpResponse:
            response = HttpResponse("x")
            response["Cache-Control"] = control
            response["Vary"] = "Cookie, Accept-Language"
            return response

        return ImmutableMiddleware(view)(RequestFactory().get("/"))

    assert "Vary" not in answer(f"public, max-age={YEAR}, immutable")
    for kept in ("public, max-age=60", "private, max-age=60, immutable", "no-cache", ""):
        assert answer(kept)["Vary"] == "Cookie, Accept-Language", kept


def test_an_old_version_is_answered_with_the_current_catalog_but_not_kept(client: Client) -> None:
    answer = client.get("/i18n/de/0ld0ld0ld0ld/catalog.js")
    assert answer.status_code == 200
    assert "Noch %(left)s Zeichen" in answer.text
    assert "no-cache" in answer["Cache-Control"]
    assert "immutable" not in answer["Cache-Control"]


@pytest.mark.parametrize("language", ["fr", "xx", "de-at", "DE"])
def test_a_language_helpline_does_not_list_is_not_found(client: Client, language: str) -> None:
    answer = client.get(f"/i18n/{language}/{catalog_version()}/catalog.js")
    assert answer.status_code == 404


def test_the_catalog_answers_get_only(client: Client) -> None:
    answer = client.post(f"/i18n/de/{catalog_version()}/catalog.js")
    assert answer.status_code == 405


def test_the_version_follows_the_compiled_catalogs(tmp_path: Path, settings) -> None:
    assert any(p.parts[-4:-2] == ("locale", "de") for p in jscatalog._catalog_files())
    before = catalog_version()
    assert re.fullmatch(r"[0-9a-f]{12}", before)
    # A new compiled catalog (a translation added or changed at a deploy).
    extra = tmp_path / "de" / "LC_MESSAGES" / "djangojs.mo"
    extra.parent.mkdir(parents=True)
    extra.write_bytes(b"\x95\x04\x12\xde" + b"\x00" * 24)
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path]
    catalog_version.cache_clear()
    try:
        changed = catalog_version()
        extra.write_bytes(b"\x95\x04\x12\xde" + b"\x01" * 24)
        catalog_version.cache_clear()
        assert len({before, changed, catalog_version()}) == 3
    finally:
        settings.LOCALE_PATHS = settings.LOCALE_PATHS[:-1]
        catalog_version.cache_clear()
    assert catalog_version() == before
