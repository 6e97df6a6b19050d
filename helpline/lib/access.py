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
- `agent_required` (helpline/web/auth.py) declares `AGENT` itself: active
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
it keep it. A class-based view is declared on the class itself (`@public` above
`class SomeView`), on its own `dispatch` (`method_decorator`), or by wrapping
`as_view()`: `public(SomeView.as_view())`. A declaration is never inherited: a
subclass of a declared view, or a view that only inherits a declared
`dispatch`, declares nothing until it says so itself (a new view made from an
open one must not be open by accident).

A declaration is also enforced, not only read: for the two audiences that are
a kind of signed-in person, `DefaultDenyMiddleware` lets only that person
through before the view runs (`customer_only`: an active customer who is no
agent or staff; `AGENT`: an active agent), whichever way the view was
declared, and `@customer_only` checks again in its own wrapper, so a view is
refused to everybody else even where the middleware is missing. Each says how
it refuses (`refuse=`: the portal sends a visitor to its sign-in); by default
the answer is a 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar, cast, overload

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
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


# --- who is a customer, who an agent: the gates the declarations enforce -----------------

# How a gate refuses: a response (a redirect to a sign-in page) or an exception.
Refusal = Callable[[HttpRequest], HttpResponseBase]
REFUSAL = "helpline_access_refusal"


def not_found(request: HttpRequest) -> HttpResponseBase:
    """The default refusal: the same answer as a page that does not exist."""
    raise Http404("No such page.")


def to_desk_sign_in(request: HttpRequest) -> HttpResponseBase:
    """The refusal of an agent's page (settings.LOGIN_URL is the desk's sign-in)."""
    return sign_in_first(request)


def sign_in_first(request: HttpRequest, login_url: str | None = None) -> HttpResponseBase:
    """To the sign-in page, and back here after. A live part of a page (an htmx
    request: the presence poll, a draft's save) gets 401 and HX-Redirect, so the
    whole page goes to the sign-in instead of the sign-in page into the part."""
    redirect = redirect_to_login(request.get_full_path(), login_url)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = redirect["Location"]
        return response
    return redirect


def is_customer(request: HttpRequest) -> bool:
    """A signed-in, active customer. Agents and staff never act as customers
    (they sign in on the desk, where the second factor is asked), even if a
    customer row carries their address."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "customer", None) is None:
        return False
    return not (getattr(user, "agent", None) is not None or user.is_staff or user.is_superuser)


def is_agent(request: HttpRequest) -> bool:
    """A signed-in, active agent (the desk's `agent_required` asks the same)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return getattr(user, "agent", None) is not None


GATES: dict[Audience, tuple[Callable[[HttpRequest], bool], Refusal]] = {
    Audience.CUSTOMER: (is_customer, not_found),
    Audience.AGENT: (is_agent, to_desk_sign_in),
}


@overload
def customer_only[W: Callable[..., Any]](view: W, /) -> W: ...


@overload
def customer_only[W: Callable[..., Any]](*, refuse: Refusal = ...) -> Callable[[W], W]: ...


def customer_only[W: Callable[..., Any]](
    view: W | None = None, /, *, refuse: Refusal = not_found
) -> Any:
    """Declares a view for signed-in customers, and lets nobody else in: an
    anonymous visitor, an agent or an administrator gets `refuse(request)` (a
    404 unless told otherwise). `@customer_only` or `@customer_only(refuse=...)`.

    On a class-based view the class's `dispatch` is guarded (subclasses keep the
    guard, though not the declaration)."""

    def gate(view: W) -> W:
        if isinstance(view, type):
            cls: Any = view
            dispatch = cls.dispatch

            @wraps(dispatch)
            def guarded(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if not is_customer(request):
                    return refuse(request)
                return dispatch(self, request, *args, **kwargs)

            cls.dispatch = guarded
            marked: Any = cls
        else:

            @wraps(view)
            def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if not is_customer(request):
                    return refuse(request)
                return view(request, *args, **kwargs)

            marked = wrapper
        setattr(marked, ATTRIBUTE, Audience.CUSTOMER)
        setattr(marked, REFUSAL, refuse)
        return cast(W, marked)

    return gate if view is None else gate(view)


# Where the API is mounted (helpline/urls.py). Everything under it authenticates
# by key or token, never by the session, and refuses on its own (helpline/api/).
API_PREFIX = "api/"


def _static_views() -> tuple[Callable[..., Any], ...]:
    from django.contrib.staticfiles.views import serve as staticfiles_serve
    from django.views.static import serve

    return (serve, staticfiles_serve)


def _own(view: Callable[..., Any], name: str) -> Any:
    """The attribute `name` as the view declares it itself: on the function (or a
    wrapper that copied it); for a class-based view, on its class itself, on its
    own `dispatch` or on the function `as_view()` made, never inherited from a
    base class."""
    cls = getattr(view, "view_class", None)
    if cls is None:
        return getattr(view, name, None)
    if name in vars(cls):
        return vars(cls)[name]
    value = getattr(view, name, None)
    # as_view() copies what decorators left on `dispatch` onto its function: that
    # counts only when the class defines `dispatch` itself.
    if (
        value is not None
        and "dispatch" not in vars(cls)
        and getattr(cls.dispatch, name, None) == value
    ):
        return None
    return value


def audience_of(view: Callable[..., Any], route: str, app_names: list[str]) -> Audience | None:
    """Who may use `view`, mounted at `route` inside the apps `app_names`; None when
    nobody said."""
    declared = _own(view, ATTRIBUTE)
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
    ) -> HttpResponseBase | None:
        match: ResolverMatch | None = request.resolver_match
        route = match.route if match else ""
        app_names = match.app_names if match else []
        audience = audience_of(view_func, route, app_names)
        if audience is not None:
            return self.enforce(request, view_func, audience)
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

    @staticmethod
    def enforce(
        request: HttpRequest, view_func: Callable[..., Any], audience: Audience
    ) -> HttpResponseBase | None:
        """Only the audience's own people reach a customer's or an agent's view,
        however it was declared (a class's or a copied declaration included); the
        view's decorator may refuse once more, the same way."""
        gate = GATES.get(audience)
        if gate is None:
            return None
        admits, default = gate
        if admits(request):
            return None
        refuse: Refusal = _own(view_func, REFUSAL) or default
        return refuse(request)


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
