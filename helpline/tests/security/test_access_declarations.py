"""Default deny: every view of the site declares who may use it, and a view that
declares nothing is refused (helpline/lib/access.py)."""

from __future__ import annotations

import logging

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from helpline.lib.access import Audience, audience_of, public, routes, undeclared
from helpline.urls import urlpatterns as site_urls


def forgotten(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret")


@public
def declared(request: HttpRequest) -> HttpResponse:
    return HttpResponse("open")


# This module doubles as a URL conf for the tests that mark it with `urls`: two
# views of its own, then the site's (its middleware looks up the desk's URLs).
urlpatterns = [path("forgotten/", forgotten), path("declared/", declared), *site_urls]


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
