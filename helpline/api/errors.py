"""The last line of defence under /api/: whatever happens, the client gets JSON.

API clients parse our answers; an HTML error page (Django's 404, 405 or 500, or
the plain 405 ninja and `require_POST` give) breaks them in ways they cannot
report. Every view under /api/ is wrapped in `json_errors`, which turns

- an exception nobody handled into a JSON 500 (`{"detail", "field": null}`),
  logged with its traceback to `django.request` as Django logs its own 500s;
- Http404, PermissionDenied and Django's SuspiciousOperation family (a body past
  DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, ...) into JSON 404, 403, 413, 400;
- a non-JSON 405 into a JSON 405 that keeps its Allow header.

Answers that are already JSON, or deliberately plain text (the osTicket endpoints
answer 201/400/401 in osTicket's plain-text style), pass through unchanged.

`ApiMiddleware`, around everything under /api/ (first in MIDDLEWARE):

- a Host header the site does not serve (not in ALLOWED_HOSTS) is a JSON 400.
  Django raises DisallowedHost inside its own middleware (CommonMiddleware, CSRF,
  the HTTPS redirect), before any view, and answers with its HTML 400 page; so
  the host is checked here first, and logged as the web pages' bad hosts are
  (`django.security.DisallowedHost`, one WARNING line without traceback);
- every answer is `Cache-Control: no-store, private` (the headers of Django's
  `never_cache`): answers carry tickets, customers' addresses and what keys may
  do, and no browser, proxy or CDN should keep a copy. Errors and 429s too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache, wraps

from django.core.exceptions import (
    DisallowedHost,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("django.request")
security_log = logging.getLogger("django.security.DisallowedHost")

View = Callable[..., HttpResponseBase]
INTERNAL = _("Something went wrong on our side. It has been logged; please try again later.")
NOT_FOUND = _("No such endpoint.")
BAD_HOST = _("The Host header names a site this server does not serve.")


def error_json(status: int, detail: str | Promise, field: str | None = None) -> JsonResponse:
    return JsonResponse({"detail": str(detail), "field": field}, status=status)


def json_errors(view: View) -> View:
    """`view`, answering JSON whatever it raises (see the module docstring)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_json(404, NOT_FOUND)
        except PermissionDenied:
            return error_json(403, _("You may not do this."))
        except (RequestDataTooBig, TooManyFieldsSent):
            return error_json(413, _("The request is too large."))
        except SuspiciousOperation:
            return error_json(400, _("The request is malformed."))
        except Exception:
            log.exception(
                "Internal Server Error: %s",
                request.path,
                extra={"status_code": 500, "request": request},
            )
            answer = error_json(500, INTERNAL)
            answer._has_been_logged = True  # type: ignore[attr-defined]  # by us, with the traceback
            return answer
        if response.status_code == 405 and not _is_json(response):
            allowed = response.get("Allow", "")
            answer = error_json(
                405, _("Method not allowed; use %(allowed)s.") % {"allowed": allowed}
            )
            answer["Allow"] = allowed
            return answer
        return response

    return guarded


def _is_json(response: HttpResponseBase) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


def guard_all(
    patterns: list[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    """The same URL patterns, every view wrapped in `json_errors`."""
    guarded: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            resolver = URLResolver(
                entry.pattern,
                guard_all(list(entry.url_patterns)),
                entry.default_kwargs,
                entry.app_name,
                entry.namespace,
            )
            guarded.append(resolver)
        else:
            guarded.append(
                URLPattern(
                    entry.pattern, json_errors(entry.callback), entry.default_args, entry.name
                )
            )
    return guarded


@cache
def api_prefix() -> str:
    """Where the API is mounted ("/api/"), from the URL configuration."""
    return reverse("api:openapi-json").rsplit("/", 1)[0] + "/"


class ApiMiddleware:
    """JSON 400 for a Host the site does not serve, and no-store, under /api/
    (see the module docstring)."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(api_prefix()):
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost as error:
            # As the web pages' are logged: one WARNING line, no traceback
            # (helpline.lib.logfilters.QuietDisallowedHost).
            security_log.warning(str(error), extra={"status_code": 400, "request": request})
            response: HttpResponseBase = error_json(400, BAD_HOST, None)
        else:
            response = self.get_response(request)
        add_never_cache_headers(response)
        return response
