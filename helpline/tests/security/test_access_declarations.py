"""Default deny: every view of the site declares who may use it, and a view that
declares nothing is refused (helpline/lib/access.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial, wraps
from typing import Any

import pytest
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from helpline.accounts.models import Agent, Customer
from helpline.conftest import World
from helpline.lib.access import (
    Audience,
    audience_of,
    customer_only,
    declare,
    public,
    routes,
    undeclared,
)
from helpline.urls import urlpatterns as site_urls


def forgotten(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


@public
def declared(request: HttpRequest) -> HttpResponse:
    return HttpResponse("open")


# --- throwaway views: declared, inherited, wrapped ----------------------------------------


class Undeclared(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("secret")


@public
class OpenPage(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("open")


class InheritsOpen(OpenPage):
    """A new page made from an open one, that says nothing itself."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("secret")


class OpenDispatch(View):
    """Declared on its own `dispatch` (method_decorator), not on the class."""

    @method_decorator(public)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("open")


class InheritsOpenDispatch(OpenDispatch):
    """Inherits the declared `dispatch`; as_view() copies its attributes."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("secret")


@method_decorator(never_cache, name="dispatch")
class OtherDispatchDecorator(View):
    """A decorated `dispatch`, but no declaration."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("secret")


def wrapper_of(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A home-made decorator, written with functools.wraps as it should be."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs)

    return wrapper


def bare_wrapper_of(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A home-made decorator that forgets functools.wraps."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs)

    return wrapper


def theirs(request: HttpRequest) -> HttpResponse:
    return HttpResponse("a customer's own page")


@customer_only
def mine(request: HttpRequest) -> HttpResponse:
    return HttpResponse("a customer's own page")


def sign_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sign in first", status=403)


@customer_only(refuse=sign_in)
def mine_with_sign_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("a customer's own page")


@customer_only
class MyPage(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("a customer's own page")


# Marked, never wrapped: the declaration alone must keep everybody else out.
marked_for_customers = declare(Audience.CUSTOMER)(wraps(theirs)(lambda request: theirs(request)))
marked_for_agents = declare(Audience.AGENT)(wraps(theirs)(lambda request: theirs(request)))


@wraps(mine)
def copied_declaration(request: HttpRequest) -> HttpResponse:
    """Took the customer declaration (wraps copies it), none of its check."""
    return HttpResponse("a customer's own page")


# This module doubles as a URL conf for the tests that mark it with `urls`: views
# of its own, then the site's (its middleware looks up the desk's URLs).
urlpatterns: list[URLPattern | URLResolver] = [
    path("forgotten/", forgotten),
    path("declared/", declared),
    path("cbv/undeclared/", Undeclared.as_view()),
    path("cbv/open/", OpenPage.as_view()),
    path("cbv/inherits-open/", InheritsOpen.as_view()),
    path("cbv/open-dispatch/", OpenDispatch.as_view()),
    path("cbv/inherits-open-dispatch/", InheritsOpenDispatch.as_view()),
    path("cbv/other-dispatch-decorator/", OtherDispatchDecorator.as_view()),
    path("cbv/wrapped-as-view/", public(InheritsOpen.as_view())),
    path("wrapped/undeclared/", wrapper_of(forgotten)),
    path("wrapped/declared/", wrapper_of(declared)),
    path("wrapped/bare/", bare_wrapper_of(declared)),
    path("wrapped/partial/", partial(declared)),
    path("customer/function/", mine),
    path("customer/refuse/", mine_with_sign_in),
    path("customer/class/", MyPage.as_view()),
    path("customer/marked/", marked_for_customers),
    path("customer/copied/", copied_declaration),
    path("agent/marked/", marked_for_agents),
    *site_urls,
]


def test_every_view_of_the_site_declares_who_may_use_it() -> None:
    assert undeclared() == [], "\n".join(str(route) for route in undeclared())


def test_the_walk_sees_every_part_of_the_site() -> None:
    """The test above proves nothing if the walk misses routes."""
    audiences = {route.audience for route in routes()}
    names = {route.name for route in routes()}

    assert set(Audience) <= audiences
    assert {"desk:ticket", "portal:ticket", "reports:page", "feedback:rate"} <= names
    assert {"admin:index", "api:read_thread", "osticket-create"} <= names


@pytest.mark.urls(__name__)
def test_a_view_that_declares_nothing_is_refused_and_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="helpline.access"):
        response = client.get("/forgotten/")

    assert response.status_code == 404
    assert b"secret" not in response.content
    assert "forgotten" in caplog.text and "declares no access" in caplog.text


@pytest.mark.urls(__name__)
def test_a_declared_view_is_served(client: Client) -> None:
    response = client.get("/declared/")

    assert response.status_code == 200
    assert response.content == b"open"


def test_declarations_survive_decorators_stacked_above_them() -> None:
    from django.views.decorators.cache import never_cache
    from django.views.decorators.http import require_GET

    wrapped = never_cache(require_GET(declared))

    assert routes([path("x/", wrapped)]).__next__().audience == Audience.PUBLIC


def test_static_file_views_count_as_public() -> None:
    """WhiteNoise answers static files before any view; Django's own `serve`
    views, when a developer mounts them, are public by nature."""
    from django.contrib.staticfiles.views import serve as staticfiles_serve
    from django.views.static import serve

    assert audience_of(serve, "media/<path:path>", []) == Audience.PUBLIC
    assert audience_of(staticfiles_serve, "static/<path:path>", []) == Audience.PUBLIC


# --- no way around the declaration: inherited, wrapped, class-based ----------------------


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "url",
    [
        "/cbv/undeclared/",
        "/cbv/inherits-open/",
        "/cbv/inherits-open-dispatch/",
        "/cbv/other-dispatch-decorator/",
        "/wrapped/undeclared/",
        "/wrapped/bare/",
        "/wrapped/partial/",
    ],
)
def test_a_view_that_only_inherits_or_wraps_a_declaration_is_refused(
    url: str, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """A subclass of a declared class, a class that inherits a declared
    `dispatch`, a decorated `dispatch` that declares nothing, and wrappers that
    do not carry the declaration (no functools.wraps, functools.partial) all
    declare nothing: refused."""
    with caplog.at_level(logging.ERROR, logger="helpline.access"):
        response = client.get(url)

    assert response.status_code == 404
    assert b"secret" not in response.content and b"open" not in response.content
    assert "declares no access" in caplog.text


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "url", ["/cbv/open/", "/cbv/open-dispatch/", "/cbv/wrapped-as-view/", "/wrapped/declared/"]
)
def test_a_view_declared_on_its_class_its_dispatch_or_its_function_is_served(
    url: str, client: Client
) -> None:
    response = client.get(url)

    assert response.status_code == 200


def test_the_walk_sees_inherited_declarations_as_none() -> None:
    """The same rule in the walk that test_every_view_of_the_site_declares_who_may_use_it
    uses, so an inherited declaration fails the build, not only the request."""
    own = urlpatterns[: len(urlpatterns) - len(site_urls)]
    found = {r.route: r.audience for r in routes(own)}

    assert found["cbv/inherits-open/"] is None
    assert found["cbv/inherits-open-dispatch/"] is None
    assert found["cbv/open/"] == found["cbv/open-dispatch/"] == Audience.PUBLIC
    assert found["customer/class/"] == found["customer/copied/"] == Audience.CUSTOMER


# --- @customer_only enforces: nobody but a signed-in customer gets in --------------------

CUSTOMER_PAGES = [
    "/customer/function/",
    "/customer/class/",
    "/customer/marked/",
    "/customer/copied/",
]


def _client(world: World, who: str) -> Client:
    client = Client()
    people: dict[str, Customer | Agent] = {
        "customer": world.customer,
        "agent": world.agent,
        "supervisor": world.supervisor,
        "admin": world.admin,
    }
    user = people[who].user if who in people else None
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", CUSTOMER_PAGES)
@pytest.mark.parametrize("who", ["anonymous", "agent", "supervisor", "admin"])
def test_a_customer_only_view_refuses_everybody_but_a_customer(
    url: str, who: str, world: World
) -> None:
    """However the view was declared: the decorator on a function or a class,
    the bare mark, or a mark copied by functools.wraps onto a view that checks
    nothing itself (the middleware enforces the declaration)."""
    response = _client(world, who).get(url)

    assert response.status_code == 404
    assert b"own page" not in response.content


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", CUSTOMER_PAGES)
def test_a_customer_only_view_serves_a_signed_in_customer(url: str, world: World) -> None:
    response = _client(world, "customer").get(url)

    assert response.status_code == 200
    assert response.content == b"a customer's own page"


@pytest.mark.urls(__name__)
def test_a_customer_who_is_also_an_agent_is_refused(world: World) -> None:
    """Agents sign in on the desk and never act as customers, even when a
    customer row carries their login."""
    world.outsider.user = world.agent.user
    world.outsider.save()

    assert _client(world, "agent").get("/customer/function/").status_code == 404


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("who", ["anonymous", "agent"])
def test_a_customer_only_view_refuses_as_it_says(who: str, world: World) -> None:
    response = _client(world, who).get("/customer/refuse/")

    assert response.status_code == 403
    assert response.content == b"sign in first"


@pytest.mark.parametrize("view", [mine, MyPage.as_view()])
def test_customer_only_refuses_even_without_the_middleware(view: Any, world: World) -> None:
    """The decorator's own check: a view called past the middleware (another
    middleware list, a view called from a view) still refuses."""
    request = RequestFactory().get("/")
    request.user = world.agent.user

    with pytest.raises(Http404):
        view(request)
    assert world.customer.user is not None
    request.user = world.customer.user
    assert view(request).status_code == 200


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_an_agent_declaration_alone_keeps_everybody_else_out(who: str, world: World) -> None:
    """`declare(Audience.AGENT)` without `agent_required`: the middleware sends
    anybody but an agent to the desk's sign-in, as agent_required does."""
    response = _client(world, who).get("/agent/marked/")

    assert response.status_code == 302
    assert response["Location"].startswith("/desk/login/")


@pytest.mark.urls(__name__)
def test_an_agent_declaration_alone_serves_an_agent(world: World) -> None:
    assert _client(world, "agent").get("/agent/marked/").status_code == 200
