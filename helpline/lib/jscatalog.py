"""The JavaScript catalog (gettext() in the browser), cacheable for a year.

Every portal and desk page loads the catalog before its scripts run. Served at one
URL whose answer depends on the request's language, a browser could not keep it
and fetched it again on every page: a request and about 50 ms before the page's
scripts start. So its URL names what the answer depends on, the language and a
version, a digest of the answer itself (`/i18n/de/3f2a9c1b04d7/catalog.js`), and
the answer says it never changes (`immutable`, a year). Other translations after
a deploy make another answer, so pages name a new URL; a page still naming an old
version gets the current catalog, but only for the moment (a URL must not keep
content it does not have).

Each process renders a language's catalog once and serves those bytes: the
version and the content come from the same rendering, and the same translations
give the same version on every machine and in every worker. Django reads a
catalog file once per process too, so a changed file needs a restart either way.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from helpline.lib.access import public

YEAR = 365 * 24 * 3600
_catalog = JavaScriptCatalog.as_view()


@dataclass(frozen=True)
class Catalog:
    version: str
    content: bytes
    content_type: str


@functools.cache
def catalog(language: str) -> Catalog:
    """`language`'s catalog as Django's JavaScriptCatalog renders it (it reads
    nothing of the request but the active language), and its digest."""
    request = HttpRequest()
    request.method = "GET"
    with translation.override(language):
        response = _catalog(request)
    assert isinstance(response, HttpResponse)  # rendered, never streamed
    content = response.content
    return Catalog(hashlib.sha256(content).hexdigest()[:12], content, response["Content-Type"])


def catalog_url() -> str:
    """The catalog's URL for the language of the request being answered."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return reverse("jsi18n", kwargs={"language": language, "version": catalog(language).version})


def catalog_context(request: HttpRequest) -> dict[str, object]:
    """`javascript_catalog_url` for base.html (a function: the template calls it,
    only where it is used, after the view chose the language)."""
    return {"javascript_catalog_url": catalog_url}


@public
@require_GET
def javascript_catalog(request: HttpRequest, language: str, version: str) -> HttpResponse:
    """The catalog in the language the URL names (GET only: the class view's Allow
    would name OPTIONS, which no page of ours takes)."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    current = catalog(language)
    response = HttpResponse(current.content, content_type=current.content_type)
    if version == current.version:
        patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
        # The URL says everything the answer depends on (ImmutableMiddleware).
        response.same_for_everyone = True  # type: ignore[attr-defined]
    else:
        patch_cache_control(response, no_cache=True)
    response.headers["Content-Language"] = language
    return response
