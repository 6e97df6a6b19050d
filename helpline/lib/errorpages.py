"""Error answers a person can read, for the web pages (never the API).

Django's `require_http_methods` and `require_POST` answer a wrong method with a
bare 405 and no body: a person who reloads a page after a form, or opens a
form's address from their history, saw a blank page. `FriendlyErrorsMiddleware`
puts the site's page in that empty body, in the style of the desk or the portal
(by path), and keeps the status and the `Allow` header; at a ticket's action
address it links to that ticket's page. The API (under /api/)
keeps its own JSON errors ({detail, field}): its responses are never touched.

`page(...)` renders an error page in the desk's or the portal's style; the
admin uses it for an agent who is not an administrator (403, see
`helpline.accounts.adminsite`).

`csrf_failure` (settings.CSRF_FAILURE_VIEW) answers a form whose CSRF token no
longer matches: sent from a tab opened before signing in or out elsewhere, or
after the session ended. Django's own page says "CSRF verification failed" and
the person loses what they typed; this one says, in the site's style, that the
form had expired and nothing was saved, links back to the page the form was on,
and shows the text they typed (the reply, the message) read-only, to copy.

`page_not_found` (handler404) answers a signed-in agent under /desk/ in the
desk's style, with its menu and "go to ticket" box: for a ticket page, "No
ticket #N, or it is not in your departments", the same words whether the
ticket does not exist or belongs to a department the agent does not see. Every
other 404 is Django's, with the portal's 404.html.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults

from helpline.lib.access import is_agent, public
from helpline.lib.landing import ticket_page

# Where helpline/urls.py mounts the API; its answers are JSON, left alone.
API_PREFIX = "/api/"
# The desk (and the reports under it) and the admin get the desk's style.
DESK_PREFIXES = ("/desk/", "/admin/")
# A ticket number longer than this is shown cut (numbers are 6 to 20 characters).
NUMBER_SHOWN = 40
# The text areas whose content a CSRF failure shows back, first found wins: the
# desk's reply, note and new ticket (`body`), the portal's new ticket
# (`description`) and reply (`body`), a contact form's `message`.
TYPED_FIELDS = ("body", "message", "description")
# At most this many characters of it are shown back (the forms take 50,000).
TYPED_LIMIT = 256 * 1024


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
        context: dict[str, Any] = {"allowed": allowed, "opens": opens}
        # A ticket's action (a reply reloaded, its address opened again): the way
        # back is that ticket's page, not only the home page. Whoever may not see
        # the ticket learns nothing from the link: its page answers them 404.
        found = None if opens else ticket_page(request.path)
        if found is not None:
            context["ticket_url"], context["ticket_number"] = found
        friendly = page(request, "405.html", 405, context)
        if allowed:
            friendly["Allow"] = allowed
        return friendly


def _own_referer(request: HttpRequest, host: str) -> str:
    """The Referer when it is a page of this site (`host`), else ""."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, {host}, require_https=request.is_secure()
    ):
        return referer
    return ""


def _back_to(referer: str, host: str, home: str) -> str:
    """The page the form was on (`referer`, a page of this site or ""); else
    `home`. Only the path and query are kept: the link stays on this site."""
    parts = urlsplit(referer)
    if not parts.netloc or not parts.path.startswith("/"):
        return home
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    # Checked again as the link it becomes: "/\\x" or "//x" in an href leaves the site.
    return back if url_has_allowed_host_and_scheme(back, {host}) else home


def _same_origin(request: HttpRequest, host: str, referer: str) -> bool:
    """Whether the failed form came from a page of this site: its Origin (or,
    without one, its Referer: `referer` is that, when of this site) names this
    host. A stale tab of ours always does; a form another site posts at us does
    not, and its text is not shown (it would be their words on our page)."""
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == f"{request.scheme}://{host}"
    return bool(referer)


def _typed(request: HttpRequest) -> tuple[str, bool]:
    """The text typed in the form's main text area, and whether it was cut."""
    try:
        data = request.POST
    except Exception:  # a body that cannot be read again (too big, bad multipart)
        return "", False
    for name in TYPED_FIELDS:
        text = data.get(name, "")
        if text.strip():
            return text[:TYPED_LIMIT], len(text) > TYPED_LIMIT
    return "", False


@public
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that came with a CSRF token that is stale or missing (see the module).

    The typed text is the visitor's own and shown back to them escaped, as text
    in a read-only box; the answer is never cached."""
    home = "/desk/" if is_desk(request) else "/"
    try:
        host: str | None = request.get_host()
    except DisallowedHost:
        host = None
    referer = _own_referer(request, host) if host is not None else ""
    ours = host is not None and _same_origin(request, host, referer)
    typed, cut = _typed(request) if ours else ("", False)
    response = page(
        request,
        "403_csrf.html",
        403,
        {"back_url": _back_to(referer, host, home) if host else home, "typed": typed, "cut": cut},
    )
    add_never_cache_headers(response)
    return response


@public
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: the desk's own page for an agent under /desk/ (see the module)."""
    if not request.path.startswith("/desk/") or not is_agent(request):
        return defaults.page_not_found(request, exception)
    match = request.resolver_match
    number = ""
    if match is not None and match.view_name == "desk:ticket":
        number = str(match.kwargs.get("number", ""))[:NUMBER_SHOWN]
    # Never the exception's text: it is for the log, and could say more than the
    # page may (why a ticket was not found).
    return page(request, "404_desk.html", 404, {"number": number})
