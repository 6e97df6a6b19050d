"""Default deny for the web pages: every view says who may use it, or nobody can.

A view forgotten by its author's permission check is the classic hole (OWASP's
"broken access control"): one missing decorator and a page is open to the
internet. So the question is turned around. Each view carries a declaration,
one decorator line above it:

- `@public`: anybody, signed in or not (sign-in pages, opening a ticket); what
  the view shows must not depend on who asks beyond what they typed;
- `@signed_link`: whoever holds the signed, expiring token in the URL (guest
  ticket links, rating links, account confirmation); the view checks the token;
- `@customer_only`: the signed-in customer, for their own tickets only; the view
  answers everybody else as if the ticket did not exist (404) or sends them to
  the portal's sign-in;
- `agent_required` (helpline/desk/views/common.py) declares `AGENT` itself: active
  agents, each seeing their departments' tickets.

`DefaultDenyMiddleware` refuses, with a 404 and an error in the log, any view
that declares nothing. Two parts of the site are mounted with checks of their
own and count as declared: the Django admin (its `AdminSite.admin_view` lets only
active staff in; staff means administrator here) and the API under /api/ (keys,
tokens and scopes, default-deny of its own). Static files never reach a view
(WhiteNoise answers them first) and Django's `serve` views count as public.

The declarations are proven, not trusted: `helpline/tests/security/` resolves
every URL pattern and fails for an undeclared view, and the access matrix there
requests every route as every role against a table of expected answers.

A declaration is an attribute on the view function; `functools.wraps` (which
Django's decorators use) copies it outward, so further decorators stacked above
it keep it. Class-based views are declared by wrapping `as_view()`:
`public(SomeView.as_view())`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from django.http import Http404, HttpRequest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import ResolverMatch

log = logging.getLogger("helpline.access")

ATTRIBUTE = "helpline_access"

V = TypeVar("V", bound=Callable[..., Any])


class Audience(StrEnum):
    PUBLIC = "public"
    SIGNED_LINK = "signed_link"
    CUSTOMER = "customer"
    AGENT = "agent"
    # Not declared with a decorator: given by where a view is mounted.
    ADMIN_SITE = "admin_site"
    API = "api"


def declare(audience: Audience) -> Callable[[V], V]:
    """A decorator that records who may use the view; it changes nothing else."""

    def mark(view: V) -> V:
        setattr(view, ATTRIBUTE, audience)
        return view

    return mark


public = declare(Audience.PUBLIC)
signed_link = declare(Audience.SIGNED_LINK)
customer_only = declare(Audience.CUSTOMER)

# Where the API is mounted (helpline/urls.py). Everything under it authenticates
# by key or token, never by the session, and refuses on its own (helpline/api/).
API_PREFIX = "api/"


def _static_views() -> tuple[Callable[..., Any], ...]:
    from django.contrib.staticfiles.views import serve as staticfiles_serve
    from django.views.static import serve

    return (serve, staticfiles_serve)


def audience_of(view: Callable[..., Any], route: str, app_names: list[str]) -> Audience | None:
    """Who may use `view`, mounted at `route` inside the apps `app_names`; None when
    nobody said."""
    declared = getattr(view, ATTRIBUTE, None)
    if declared is None:
        declared = getattr(getattr(view, "view_class", None), ATTRIBUTE, None)
    if declared is not None:
        return Audience(declared)
    if "admin" in app_names:
        return Audience.ADMIN_SITE
    if route.startswith(API_PREFIX):
        return Audience.API
    if view in _static_views():
        return Audience.PUBLIC
    return None


def _dotted(view: Callable[..., Any]) -> str:
    return f"{getattr(view, '__module__', '?')}.{getattr(view, '__qualname__', repr(view))}"


class DefaultDenyMiddleware:
    """Refuses every view that does not declare who may use it (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        match: ResolverMatch | None = request.resolver_match
        route = match.route if match else ""
        app_names = match.app_names if match else []
        if audience_of(view_func, route, app_names) is not None:
            return None
        # A programming error, never a visitor's: loud in the log, a plain 404
        # outside, the same as a page that does not exist.
        log.error(
            "Refused %s %s: the view %s (route %r) declares no access; add @public, "
            "@signed_link, @customer_only or @agent_required (helpline/lib/access.py).",
            request.method,
            request.path,
            _dotted(view_func),
            route,
        )
        raise Http404("No such page.")


@dataclass(frozen=True)
class Route:
    """One URL pattern of the site, as the resolver sees it."""

    route: str  # the joined pattern, "desk/tickets/<str:number>/"
    name: str  # "desk:ticket"; "" for an unnamed pattern
    view: Callable[..., Any]
    app_names: tuple[str, ...]

    @property
    def audience(self) -> Audience | None:
        return audience_of(self.view, self.route, list(self.app_names))

    def __str__(self) -> str:
        return f"{self.route} ({self.name or 'unnamed'}, {_dotted(self.view)})"


def routes(
    patterns: list[URLPattern | URLResolver] | None = None,
    prefix: str = "",
    namespace: str = "",
    app_names: tuple[str, ...] = (),
) -> Iterator[Route]:
    """Every URL pattern of the site (or of `patterns`), with its full route."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            names = (*app_names, pattern.app_name) if pattern.app_name else app_names
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern), inner, names)
        else:
            name = ":".join(filter(None, [namespace, pattern.name])) if pattern.name else ""
            yield Route(prefix + str(pattern.pattern), name, pattern.callback, app_names)


def undeclared() -> list[Route]:
    """The routes whose views say nothing about who may use them."""
    return [route for route in routes() if route.audience is None]
