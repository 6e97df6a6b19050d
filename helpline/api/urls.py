"""The REST API (django-ninja) and the osTicket-compatible endpoints, under /api/.

`/api/openapi.json`, `/api/docs` and `/api/v1/...` are ninja's; `tickets.json`,
`tickets.xml` and `tickets.email` (also under `http.php/`, the path osTicket's
own clients call) are plain views answering in osTicket's plain-text style.
Any other path under /api/ is a JSON 404, and every view is wrapped so that an
error, even an unexpected one, is JSON too: API clients never get an HTML page.
The schema and its docs page are read-only: any other method than GET (or HEAD)
is a JSON 405, as on every other route (ninja serves them to any method).
"""

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.http import require_safe

from helpline.api.errors import NOT_FOUND, error_json, guard_all, json_errors
from helpline.api.osticket.views import create_ticket
from helpline.api.rest import api


def no_such_endpoint(request: HttpRequest, rest: str = "") -> JsonResponse:
    return error_json(404, NOT_FOUND)


ninja_patterns, ninja_app, ninja_namespace = api.urls
READ_ONLY = {"openapi-json", "openapi-view"}


def read_only(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """The same patterns, the schema's and the docs page's taking only GET and HEAD."""
    return [
        URLPattern(p.pattern, require_safe(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern) and p.name in READ_ONLY
        else p
        for p in patterns
    ]


# Every view here answers JSON whatever goes wrong (helpline.api.errors).
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^(?:http\.php/)?tickets\.(?P<fmt>json|xml|email)$",
        json_errors(create_ticket),
        name="osticket-create",
    ),
    path("", (guard_all(read_only(ninja_patterns)), ninja_app, ninja_namespace)),
    # [\s\S], not ".": a path with a newline in it is still an unknown endpoint, in JSON.
    re_path(r"^(?P<rest>[\s\S]*)$", no_such_endpoint),
]
