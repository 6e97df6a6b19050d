"""The REST API (django-ninja) and the osTicket-compatible endpoints, under /api/.

`/api/openapi.json`, `/api/docs` and `/api/v1/...` are ninja's; `tickets.json`,
`tickets.xml` and `tickets.email` (also under `http.php/`, the path osTicket's
own clients call) are plain views answering in osTicket's plain-text style.
Any other path under /api/ is a JSON 404, and every view is wrapped so that an
error, even an unexpected one, is JSON too: API clients never get an HTML page.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path

from helpline.api.errors import NOT_FOUND, error_json, guard_all, json_errors
from helpline.api.osticket.views import create_ticket
from helpline.api.rest import api


def no_such_endpoint(request: HttpRequest, rest: str = "") -> JsonResponse:
    return error_json(404, NOT_FOUND)


ninja_patterns, ninja_app, ninja_namespace = api.urls

# Every view here answers JSON whatever goes wrong (helpline.api.errors).
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^(?:http\.php/)?tickets\.(?P<fmt>json|xml|email)$",
        json_errors(create_ticket),
        name="osticket-create",
    ),
    path("", (guard_all(ninja_patterns), ninja_app, ninja_namespace)),
    re_path(r"^(?P<rest>.*)$", no_such_endpoint),
]
