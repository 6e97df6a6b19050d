"""The JavaScript catalog under a URL a browser keeps (helpline/lib/jscatalog.py):
pages name their language's catalog and the current version, that URL answers
"keep it a year" without a Vary, an old version is answered but not kept, and the
version is a digest of the answer, new with any new translation."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory
from django.utils.http import split_header_value

from helpline.lib.jscatalog import YEAR, catalog
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
    assert catalog_of(page.text) == f"/i18n/{language}/{catalog(language).version}/catalog.js"


def test_the_named_catalog_is_kept_a_year_and_speaks_its_language(client: Client) -> None:
    url = catalog_of(client.get("/", headers={"Accept-Language": "de"}).text)
    # The URL, not the browser's language, says which catalog: an English
    # browser asking for the German one gets the German one.
    answer = client.get(url, headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Content-Language"] == "de"
    control = set(split_header_value(answer["Cache-Control"]))
    assert {"public", f"max-age={YEAR}", "immutable"} <= control
    assert "Noch %(left)s Zeichen" in answer.text  # helpline/locale/de djangojs.po
    # One copy for everyone: no Vary from the session or language middleware.
    assert "Vary" not in answer


def test_only_an_answer_marked_the_same_for_everyone_loses_cookie_and_language_vary() -> None:
    def answer(marked: bool, vary: str = "Cookie, Accept-Language") -> HttpResponseBase:
        def view(request: HttpRequest) -> HttpResponse:
            response = HttpResponse("x")
            # WhiteNoise's static files are public and immutable too: not marked.
            response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
            response["Vary"] = vary
            if marked:
                response.same_for_everyone = True  # type: ignore[attr-defined]
            return response

        return ImmutableMiddleware(view)(RequestFactory().get("/"))

    assert "Vary" not in answer(marked=True)
    assert answer(marked=False)["Vary"] == "Cookie, Accept-Language"
    # Another reason to vary (a compressed copy) reaches the caches.
    assert answer(marked=True, vary="Accept-Encoding, Cookie")["Vary"] == "Accept-Encoding"
    assert answer(marked=False, vary="Accept-Encoding")["Vary"] == "Accept-Encoding"


def test_an_old_version_is_answered_with_the_current_catalog_but_not_kept(client: Client) -> None:
    answer = client.get("/i18n/de/0ld0ld0ld0ld/catalog.js")
    assert answer.status_code == 200
    assert "Noch %(left)s Zeichen" in answer.text
    assert "no-cache" in answer["Cache-Control"]
    assert "immutable" not in answer["Cache-Control"]


@pytest.mark.parametrize("language", ["fr", "xx", "de-at", "DE"])
def test_a_language_helpline_does_not_list_is_not_found(client: Client, language: str) -> None:
    answer = client.get(f"/i18n/{language}/{catalog('de').version}/catalog.js")
    assert answer.status_code == 404


def test_the_catalog_answers_get_only(client: Client) -> None:
    answer = client.post(f"/i18n/de/{catalog('de').version}/catalog.js")
    assert answer.status_code == 405


def test_the_version_is_a_digest_of_what_the_url_answers(client: Client) -> None:
    for language in ("en", "de"):
        current = catalog(language)
        answer = client.get(f"/i18n/{language}/{current.version}/catalog.js")
        assert hashlib.sha256(answer.content).hexdigest()[:12] == current.version
    assert catalog("en").version != catalog("de").version


def test_a_new_translation_makes_a_new_version(tmp_path: Path, settings) -> None:
    before = catalog("de")
    po = tmp_path / "de" / "LC_MESSAGES" / "djangojs.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Only in this test"\nmsgstr "Nur in diesem Test"\n',
        encoding="utf-8",
    )
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path]
    catalog.cache_clear()
    try:
        changed = catalog("de")
        assert b"Nur in diesem Test" in changed.content
        assert changed.version != before.version
    finally:
        settings.LOCALE_PATHS = settings.LOCALE_PATHS[:-1]
        catalog.cache_clear()
    assert catalog("de") == before
