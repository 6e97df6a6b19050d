"""A URL conf for the error-report tests: one page that fails, then the site's
(its middleware looks up the desk's URLs)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from helpline.lib.access import public
from helpline.urls import urlpatterns as site_urls


@public
def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("zz-boom: a server error on purpose")


urlpatterns = [path("boom/", boom), *site_urls]
