"""Three answers every route gets without each view asking for them.

`HeadMiddleware`: HEAD is answered wherever GET is (RFC 9110 9.3.2: the same
status and headers, no body). Uptime monitors and link checkers send HEAD, and
Django's `require_GET`, `require_http_methods(["GET", "POST"])` and
django-ninja's GET operations answered it with 405. Rather than widen every
decorator (and every future one), the request is handed to the site as a GET,
and the body is dropped on the way out. Content-Length stays that of the GET,
as HEAD promises; a streamed body (a CSV export, a file) is never read, so a
HEAD costs the GET's queries but not its download.

`PrivateNoStoreMiddleware`: every answer under the desk (its pages, the
reports, their CSVs and JSON, attachments, redirects and errors) is marked
`Cache-Control: no-store, private` with the same headers as Django's
`never_cache`, which the portal's views use. Agents' pages hold customers'
data: no browser cache, proxy or back button keeps a copy after sign-out. One
prefix instead of a decorator per view, so a new desk view cannot forget it.

`ImmutableMiddleware`: an answer whose URL alone says what it is (the JavaScript
catalog, whose URL names its language and version: helpline.lib.jscatalog) is
marked `same_for_everyone` by its view. The session and language middleware still
add `Vary: Cookie, Accept-Language` to it, because they looked at the request; a
browser then keeps a copy per cookie and fetches it again after every change of
cookie. Those two are dropped from such an answer's `Vary` on the way out; any
other (`Accept-Encoding`) stays. Opt-in: WhiteNoise's static files are public and
immutable too, and their `Vary: Accept-Encoding` must reach the caches.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import split_header_value

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class HeadMiddleware:
    """Serve HEAD as GET without a body. First in MIDDLEWARE, so every other
    middleware (CSRF, sessions, rate limits, the API's authentication) treats
    it exactly as the GET it stands for, and the Content-Length that
    CommonMiddleware set for the GET is kept."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"  # the server and its access log see the truth
        return without_body(response)


def without_body(response: HttpResponseBase) -> HttpResponseBase:
    if response.streaming:
        # Never started, so nothing was read; a file is closed with the response.
        response.streaming_content = iter(())  # type: ignore[attr-defined]
    elif isinstance(response, HttpResponse):
        response.content = b""
    return response


@cache
def _private_prefixes() -> tuple[str, ...]:
    # The desk's root, which the reports sit under too (helpline/urls.py).
    return (reverse("desk:dashboard"),)


class PrivateNoStoreMiddleware:
    """`never_cache`'s headers on every answer under the desk."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith(_private_prefixes()):
            add_never_cache_headers(response)
        return response


class ImmutableMiddleware:
    """No `Vary: Cookie, Accept-Language` on an answer its view marked
    `same_for_everyone`. Outside the session and locale middleware (earlier in
    MIDDLEWARE), so it sees what they add."""

    DROPPED = frozenset({"cookie", "accept-language"})

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if getattr(response, "same_for_everyone", False) and not response.cookies:
            vary = split_header_value(response.get("Vary", ""))
            kept = [v for v in vary if v.lower() not in self.DROPPED]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
