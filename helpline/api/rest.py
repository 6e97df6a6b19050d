"""The REST API: django-ninja, mounted at /api/ (schema at /api/openapi.json, docs
at /api/docs, endpoints under /api/v1/).

Every error is JSON `{"detail": "...", "field": "..."}`: a sentence for people and
the input field at fault (null when it is not one field). Ninja's own errors
(validation, unparseable JSON, missing credentials) are reshaped to match, so a
client handles one error format. Nothing answers 500 for bad input.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser
from ninja.responses import NinjaJSONEncoder

from helpline.api.auth import MISSING
from helpline.api.common import ApiError
from helpline.api.inputs import BadInput, BodyTooLarge, check_json_shape
from helpline.api.routers import actions, bulk, reference, reports, search, tickets
from helpline.api.security import DENY
from helpline.api.throttles import retry_after, too_many
from helpline.tickets.lifecycle import LifecycleError


class BoundedJson(Parser):
    """Ninja's JSON parser, after the body's shape is checked (depth and number of
    values, helpline.api.inputs.check_json_shape). Ninja reports any parse error
    as a 400 "Cannot parse request body"; `_http_error` below gives our reason."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        check_json_shape(request.body)
        try:
            return super().parse_body(request)
        except RecursionError:
            raise BadInput(_("The JSON is nested too deeply.")) from None


class HelplineAPI(NinjaAPI):
    """Ninja's API with its OpenAPI schema built once per process (per mount path and
    language), not on every GET of /api/openapi.json: the operations are fixed once
    the URLconf is loaded (ninja refuses routers added later), and building the
    schema walks every operation's pydantic models (~100 ms of CPU here), which the
    docs page and every client generator ask for.

    The cache holds plain JSON data (ninja's schema object carries the whole API as
    an attribute, which a copy would copy too), and each caller gets a copy of it.
    The mount path comes from the request (a proxy's SCRIPT_NAME), so the cache
    keeps a few paths at most: past that, it starts over."""

    MAX_CACHED = 8
    _schemas: dict[tuple[str, str], dict[str, Any]]

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schemas = self.__dict__.setdefault("_schemas", {})
        key = (path_prefix, translation.get_language() or "")
        found = schemas.get(key)
        if found is None:
            built = super().get_openapi_schema(path_prefix=path_prefix)
            found = json.loads(json.dumps(built, cls=NinjaJSONEncoder))
            if len(schemas) >= self.MAX_CACHED:
                schemas.clear()
            schemas[key] = found
        return copy.deepcopy(found)


api = HelplineAPI(
    title="Helpline API",
    version="1",
    description=(
        "Tickets, their threads and the lookups integrations need. Authenticate with "
        "an API key or an agent's personal token, as `Authorization: Bearer <key>` or "
        "`X-API-Key: <key>`. Errors are `{detail, field}`."
    ),
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
    parser=BoundedJson(),
    # Default deny: every operation declares its own keys(...) (helpline.api.security).
    auth=DENY,
)
api.add_router("/v1/tickets", tickets.router)
api.add_router("/v1/tickets", actions.router)
api.add_router("/v1", reference.router)
api.add_router("/v1", search.router)
api.add_router("/v1", bulk.router)
api.add_router("/v1/reports", reports.router)


def error_response(
    request: HttpRequest, status: int, detail: str, field: str | None = None, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "field": field, **extra}, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return api.create_response(request, exc.body(), status=exc.status)


@api.exception_handler(BadInput)
def _bad_input(request: HttpRequest, exc: BadInput) -> HttpResponse:
    status = 413 if isinstance(exc, BodyTooLarge) else 422
    return error_response(request, status, exc.message, exc.field)


@api.exception_handler(LifecycleError)
def _refused(request: HttpRequest, exc: LifecycleError) -> HttpResponse:
    # Endpoints translate refusals themselves; this is the safety net.
    return error_response(request, 409, exc.message)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Ninja's list of pydantic errors, as one sentence about the first field."""
    first: dict[str, Any] = exc.errors[0] if exc.errors else {}
    loc = [str(part) for part in first.get("loc", ())]
    # ("body", "payload", "subject") -> "subject"; ("query", "limit") -> "limit"
    path = loc[2:] if loc[:1] == ["body"] else loc[1:]
    if loc[:1] == ["body"] and not path:
        return error_response(request, 422, _("Send a JSON object as the request body."))
    field = ".".join(path) or None
    message = str(first.get("msg", _("Invalid value")))
    if first.get("type") == "value_error":  # our own validators' words, without pydantic's
        message = message.removeprefix("Value error, ").rstrip(".")
    if first.get("type") == "missing":
        message = _("This field is required")
    detail = f"{field}: {message}." if field else f"{message}."
    return error_response(request, 422, detail, field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, str(MISSING))


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 with Retry-After (helpline.api.throttles)."""
    response = error_response(request, 429, too_many(exc.wait))
    response["Retry-After"] = retry_after(exc.wait)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, BadInput):  # our parser's reason, wrapped by ninja
        return _bad_input(request, exc.__cause__)
    message = str(exc)
    if message == "Cannot parse request body":
        message = _("The request body is not valid JSON.")
    return error_response(request, exc.status_code, message)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Not ninja's default (a plain-text traceback under DEBUG, Django's HTML 500
    page otherwise): up to `helpline.api.errors.json_errors`, which logs it and
    answers a JSON 500, DEBUG or not."""
    raise exc


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, _("Not found."))
