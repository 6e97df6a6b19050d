"""Rate limits on the web pages' forms, through django-ratelimit.

`per_address` is django-ratelimit's own `ratelimit` decorator with the key and
method every form here uses: the client address (an IPv6 client by its /64,
helpline.lib.clientip, as in every limit here), counting POSTs only. A refused
request raises django-ratelimit's `Ratelimited`; its `RatelimitMiddleware`
(settings.MIDDLEWARE) answers with `too_many_requests` (settings.RATELIMIT_VIEW),
the "Too many requests" page with status 429.

The counters are django-ratelimit's (fixed windows, in the cache named by
RATELIMIT_USE_CACHE), grouped by the decorated view's module and name, as they
were when each app wrapped the decorator itself. This sits in helpline.lib, below
every app that limits a page.
The sign-in failure counters are in helpline.accounts.throttle; the API's
throttles (helpline.api.throttles) are ninja's, on purpose (see there).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django_ratelimit.decorators import ratelimit

from helpline.lib.clientip import address_key

View = Callable[..., HttpResponseBase]
Rate = str | Callable[[str, HttpRequest], str]


def too_many_requests(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The page shown when django-ratelimit refuses a request."""
    return render(request, "429.html", status=429)


def setting(name: str) -> Callable[[str, HttpRequest], str]:
    """A rate read from the named setting at each request (for `per_address`)."""
    return lambda group, request: str(getattr(settings, name))


def per_address(rate: Rate) -> Callable[[View], View]:
    """Limit POSTs to `rate` ("10/h", or `setting(NAME)`) per client address."""
    decorator: Callable[[View], View] = ratelimit(
        key=address_key, rate=rate, method="POST", block=True
    )
    return decorator
