"""The JavaScript catalog (gettext() in the browser), cacheable for a year.

Every portal and desk page loads the catalog before its scripts run. Served at one
URL whose answer depends on the request's language, a browser could not keep it
and fetched it again on every page: a request and about 50 ms before the page's
scripts start. So its URL names what the answer depends on, the language and a
version of the compiled translations (`/i18n/de/3f2a9c1b/catalog.js`), and the
answer says it never changes (`immutable`, a year). A deploy with other
translations gives a new version, so pages name a new URL; a page still naming
an old version gets the current catalog, but only for the moment (a URL must
not keep content it does not have).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from helpline.lib.access import public

YEAR = 365 * 24 * 3600
_catalog = JavaScriptCatalog.as_view()


def _catalog_files() -> list[Path]:
    """Every compiled JavaScript catalog the view can read: the apps' and LOCALE_PATHS'."""
    roots = [Path(config.path) / "locale" for config in apps.get_app_configs()]
    roots += [Path(path) for path in settings.LOCALE_PATHS]
    return sorted(f for root in roots for f in root.glob("*/LC_MESSAGES/djangojs.mo"))


@functools.cache
def catalog_version() -> str:
    """A short digest of the compiled catalogs (and Django's version, whose own
    catalogs and plural code the answer includes). Read once per process: Django
    also reads a catalog once per process, so a changed file needs a restart
    either way."""
    digest = hashlib.sha256(django.get_version().encode())
    for path in _catalog_files():
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def catalog_url() -> str:
    """The catalog's URL for the language of the request being answered."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return reverse("jsi18n", kwargs={"language": language, "version": catalog_version()})


def catalog_context(request: HttpRequest) -> dict[str, object]:
    """`javascript_catalog_url` for base.html (a function: the template calls it,
    only where it is used, after the view chose the language)."""
    return {"javascript_catalog_url": catalog_url}


@public
@require_GET
def javascript_catalog(request: HttpRequest, language: str, version: str) -> HttpResponseBase:
    """Django's JavaScriptCatalog in the language the URL names (GET only: the
    class view's Allow would name OPTIONS, which no page of ours takes)."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(language):
        response = _catalog(request)
    if version == catalog_version():
        patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
    else:
        patch_cache_control(response, no_cache=True)
    response.headers["Content-Language"] = language
    return response
