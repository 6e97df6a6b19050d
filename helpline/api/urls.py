"""The REST API (django-ninja) and the osTicket-compatible endpoints, under /api/.

`/api/openapi.json`, `/api/docs` and `/api/v1/...` are ninja's; `tickets.json`,
`tickets.xml` and `tickets.email` (also under `http.php/`, the path osTicket's
own clients call) are plain views answering in osTicket's plain-text style.
Any other path under /api/ is a JSON 404, so API clients never get an HTML page.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path

from helpline.api.osticket.views import create_ticket
from helpline.api.rest import api


def no_such_endpoint(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse({"detail": "No such endpoint.", "field": None}, status=404)


urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^(?:http\.php/)?tickets\.(?P<fmt>json|xml|email)$",
        create_ticket,
        name="osticket-create",
    ),
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", no_such_endpoint),
]
