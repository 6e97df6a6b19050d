"""Error answers a person can read, for the web pages (never the API).

Django's `require_http_methods` and `require_POST` answer a wrong method with a
bare 405 and no body: a person who reloads a page after a form, or opens a
form's address from their history, saw a blank page. `FriendlyErrorsMiddleware`
puts the site's page in that empty body, in the style of the desk or the portal
(by path), and keeps the status and the `Allow` header. The API (under /api/)
keeps its own JSON errors ({detail, field}): its responses are never touched.

`page(...)` renders an error page in the desk's or the portal's style; the
admin uses it for an agent who is not an administrator (403, see
`helpline.accounts.adminsite`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

# Where helpline/urls.py mounts the API; its answers are JSON, left alone.
API_PREFIX = "/api/"
# The desk (and the reports under it) and the admin get the desk's style.
DESK_PREFIXES = ("/desk/", "/admin/")


def is_desk(request: HttpRequest) -> bool:
    return request.path.startswith(DESK_PREFIXES)


def page(
    request: HttpRequest, template: str, status: int, context: dict[str, Any] | None = None
) -> HttpResponse:
    """`template` (which extends `base_template`) in the desk's or the portal's style."""
    desk = is_desk(request)
    values = {
        "base_template": "desk/base.html" if desk else "portal/base.html",
        "home_url": "/desk/" if desk else "/",
        **(context or {}),
    }
    return render(request, template, values, status=status)


class FriendlyErrorsMiddleware:
    """A readable page in the empty body of a web path's 405."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or request.path.startswith(API_PREFIX)
            or not isinstance(response, HttpResponse)
            or response.content
        ):
            return response
        allowed = response.get("Allow", "")
        opens = "GET" in (method.strip() for method in allowed.split(","))
        friendly = page(request, "405.html", 405, {"allowed": allowed, "opens": opens})
        if allowed:
            friendly["Allow"] = allowed
        return friendly
